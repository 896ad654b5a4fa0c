"""What a run returns and how it lands on disk (atomically: temp file, then rename)."""

from __future__ import annotations

import json
import os
import platform
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class RunResult:
    """KPIs, daily series and orders of one run, with the manifest that says what produced them."""

    kpis: pd.DataFrame       # metric, channel, node_type, value
    daily: pd.DataFrame      # day, node_type, metric, value
    orders: pd.DataFrame     # one row per online order (all, or a uniform sample of run.order_sample)
    manifest: dict = field(default_factory=dict)

    def kpi(self, metric: str, channel: str = "all", node_type: str = "all") -> float:
        """One KPI value, e.g. ``res.kpi("fill_rate_units", channel="walk_in")``."""
        hit = self.kpis[(self.kpis.metric == metric) & (self.kpis.channel == channel) & (self.kpis.node_type == node_type)]
        if hit.empty:
            raise KeyError(f"no KPI {metric!r} for channel={channel!r}, node_type={node_type!r}")
        return float(hit.value.iloc[0])

    def write(self, out_dir: str | Path) -> Path:
        """Write kpis.parquet, daily.parquet, orders.parquet (the kept order sample) and manifest.json
        into ``out_dir`` (a run's results folder; one holding other results is refused); returns it."""
        folder = ResultsFolder(Path(out_dir), "run")
        folder.write(kpis=self.kpis, daily=self.daily, orders=self.orders, manifest=self.manifest)
        return folder.path


def atomic_write(path: Path, writer) -> None:
    """Call ``writer(tmp_path)`` then rename over ``path``: readers never see a half-written file."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    # Created 0666 less the process umask, as any ordinary file (mkstemp's would be private, 0600).
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def commit_label(where: Path | None = None) -> str:
    """The git commit a published figure was made at (short hash), saying so when the working tree had
    uncommitted changes to tracked files; 'unknown' outside a checkout."""
    import subprocess

    def git(*args) -> str:
        try:
            done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=where or Path(__file__).parent, check=True)
        except (OSError, subprocess.CalledProcessError):
            return ""
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def environment() -> dict:
    import numba
    import numpy
    import simpy

    from simulation.version import __version__
    return {"package_version": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
            "numba": numba.__version__, "simpy": simpy.__version__, "platform": platform.platform(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


RESULT_FILES = {"run": "kpis.parquet", "comparison": "comparison.parquet", "sweep": "sweep.parquet"}


def folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a results folder, or None."""
    for p in (path, *path.parents):
        if p.exists() and not p.is_dir():
            return f"{p} is a file, not a folder" if p == path else f"{p} (above {path}) is a file, not a folder"
    return None


def folder_kind(out: Path) -> str | None:
    """What a results folder holds (run, comparison or sweep), finished or still running; None if it
    holds none of them."""
    held = [k for k, name in RESULT_FILES.items() if (out / name).exists()]
    if held:
        return held[0]
    if (out / "runs").is_dir():  # a resumable store, part-way: its manifest says whose
        manifest = out / "manifest.json"
        kind = json.loads(manifest.read_text()).get("kind") if manifest.exists() else None
        return "comparison" if kind == "comparison" else "sweep"
    return None


def claim_folder(out: Path, kind: str) -> None:
    """Refuse to write a ``kind`` of results (run, comparison) into a folder that holds another kind, or
    files that are not results at all; rerunning the same kind into its folder replaces it, as expected."""
    from simulation.scenario import UsageError

    if problem := folder_problem(out):
        raise UsageError([f"out {out}: {problem}"])
    if not out.exists() or not any(out.iterdir()):
        return
    held = folder_kind(out)
    if held is None and not (out / "manifest.json").exists():
        raise UsageError([f"out {out}: exists and holds other files (not a results folder); choose another folder"])
    if held and held != kind:
        raise UsageError([f"out {out}: holds the results of a {held}, which this {kind} would mix with or "
                          "overwrite; choose another folder"])


class ResultsFolder:
    """A folder of one kind of results (run, comparison or sweep). Made for writing, it refuses a folder
    holding another kind or files that are not results; every file lands atomically. Opened for reading
    (:meth:`open`), it knows its kind from what it holds."""

    def __init__(self, path: Path, kind: str, claim: bool = True):
        if kind not in RESULT_FILES:
            raise ValueError(f"kind: one of {', '.join(RESULT_FILES)}, got {kind!r}")
        if claim:
            claim_folder(path, kind)
        self.path, self.kind = path, kind

    @classmethod
    def open(cls, path: str | Path) -> ResultsFolder:
        """A finished results folder; FileNotFoundError (naming what it needs) when it is none."""
        path = Path(path)
        kind = folder_kind(path)
        if kind is None or not (path / RESULT_FILES[kind]).is_file():
            raise FileNotFoundError(f"{path}: no comparison.parquet, sweep.parquet or kpis.parquet (report needs an "
                                    "`invsim compare`, `invsim sweep` or `invsim run` results folder)")
        return cls(path, kind, claim=False)

    def write(self, manifest: dict | None = None, **frames: pd.DataFrame) -> None:
        """Write each frame as ``<name>.parquet``, then ``manifest.json`` (last: it describes them)."""
        self.path.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            atomic_write(self.path / f"{name}.parquet", lambda tmp, frame=frame: frame.to_parquet(tmp, index=False))
        if manifest is not None:
            text = json.dumps(manifest, indent=2, default=str)
            atomic_write(self.path / "manifest.json", lambda tmp: Path(tmp).write_text(text))

    def read(self, name: str) -> pd.DataFrame:
        """``<name>.parquet`` (FileNotFoundError, naming it, when the folder has none)."""
        path = self.path / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"{self.path}: no {path.name} in this {self.kind}'s results")
        return pd.read_parquet(path)

    def has(self, name: str) -> bool:
        """Whether the folder holds ``<name>.parquet`` (older folders lack some parts)."""
        return (self.path / f"{name}.parquet").is_file()

    @property
    def manifest(self) -> dict:
        path = self.path / "manifest.json"
        return json.loads(path.read_text()) if path.is_file() else {}


def combine(results: list[RunResult]) -> RunResult:
    """Replications of one scenario and seed as one result, each row tagged with its replication."""
    kpis = pd.concat([r.kpis.assign(replication=r.manifest["replication"]) for r in results], ignore_index=True)
    daily = pd.concat([r.daily.assign(replication=r.manifest["replication"]) for r in results], ignore_index=True)
    orders = pd.concat([r.orders.assign(replication=r.manifest["replication"]) for r in results], ignore_index=True)
    manifest = {**results[0].manifest, "replication": [r.manifest["replication"] for r in results],
                "wall_seconds": round(sum(r.manifest["wall_seconds"] for r in results), 3)}
    return RunResult(kpis=kpis, daily=daily, orders=orders, manifest=manifest)
