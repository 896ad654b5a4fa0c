"""A resumable results store for sweeps and comparisons: ``manifest.json`` says which sweep or
comparison the folder holds, and ``runs/run-000042.parquet`` holds each finished run, written
atomically (temp file, then rename), so a job killed at any moment leaves only whole runs behind and a
rerun finishes the rest. A run may keep detail files beside it (``runs/run-000042.daily.parquet``),
written before the run file, so a run counted finished always has them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from simulation.experiment.results import atomic_write, environment, folder_problem
from simulation.scenario import UsageError

RUN_FILE = re.compile(r"^run-(\d{6})\.parquet$")


class RunStore:
    """Finished runs of one sweep under ``root``. ``identity`` says what the sweep is (scenario hash,
    grid, seeds, replications); a folder holding another sweep is refused unless ``restart``, which
    deletes its runs first."""

    def __init__(self, root: Path, identity: dict, restart: bool = False, kind: str = "sweep"):
        if problem := folder_problem(root):
            raise UsageError([f"out {root}: {problem}"])
        self.root, self.runs = root, root / "runs"
        manifest = root / "manifest.json"
        if manifest.exists():
            old = json.loads(manifest.read_text())
            differs = sorted(k for k in identity if old.get(k) != identity[k])
            if differs and not restart:
                raise UsageError([f"out {root}: holds a different {kind} ({', '.join(differs)} differ); "
                                     "choose another folder, or pass restart=True to delete its runs and start over"])
        elif root.exists() and any(root.iterdir()) and not restart:
            raise UsageError([f"out {root}: exists and is not a {kind} folder (no manifest.json); "
                                 "choose another folder, or pass restart=True to use it anyway"])
        if restart:
            for path in self.runs.glob("run-*.parquet") if self.runs.exists() else []:
                path.unlink()
        self.runs.mkdir(parents=True, exist_ok=True)
        for leftover in self.runs.glob(".run-*.tmp"):  # a run killed while writing: never renamed, never counted
            leftover.unlink()
        if restart or not manifest.exists():
            text = json.dumps({**identity, **environment()}, indent=2, default=str)
            atomic_write(manifest, lambda tmp: Path(tmp).write_text(text))

    def completed(self) -> set[int]:
        return {int(m.group(1)) for p in self.runs.iterdir() if (m := RUN_FILE.match(p.name))}

    def write(self, run_id: int, frame: pd.DataFrame, detail: dict[str, pd.DataFrame] | None = None) -> None:
        """Store a finished run: its ``detail`` frames first, then the run itself (what marks it done)."""
        for name, part in (detail or {}).items():
            atomic_write(self.detail_path(run_id, name), lambda tmp, part=part: part.to_parquet(tmp, index=False))
        atomic_write(self.runs / f"run-{run_id:06d}.parquet", lambda tmp: frame.to_parquet(tmp, index=False))

    def detail_path(self, run_id: int, name: str) -> Path:
        return self.runs / f"run-{run_id:06d}.{name}.parquet"

    def read(self, run_id: int, name: str | None = None) -> pd.DataFrame:
        """One stored run, or one of its detail frames."""
        return pd.read_parquet(self.detail_path(run_id, name) if name else self.runs / f"run-{run_id:06d}.parquet")

    def table(self, out_name: str | None = None) -> pd.DataFrame:
        """Every finished run, in run order; also written as ``root/out_name`` when given."""
        files = sorted(p for p in self.runs.iterdir() if RUN_FILE.match(p.name))
        table = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True) if files else pd.DataFrame()
        if out_name:
            atomic_write(self.root / out_name, lambda tmp: table.to_parquet(tmp, index=False))
        return table
