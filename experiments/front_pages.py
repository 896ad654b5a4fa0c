"""The figures the front pages quote, made by commands and written between markers (never typed): the README's
main job (its command run word for word, its output excerpt, its answer in computed sentences and its charts) and
the calibrated split network's figures in scenarios/README.md. ``experiments/regenerate.py --main-job`` and
``--calibration`` call these."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import simulation as sim
from simulation.experiment.results import ResultsFolder, commit_label
from simulation.metrics.registry import metric
from simulation.reporting.reference import kpi_reference
from simulation.reporting.report import DECOMPOSED, decomposition_sentence, headline

ROOT = Path(__file__).resolve().parents[1]
README, SCENARIOS_README = ROOT / "README.md", ROOT / "scenarios" / "README.md"
MAIN_BEGIN, MAIN_END = "<!-- main job: begin (written by experiments/regenerate.py --main-job; do not edit by hand) -->", \
    "<!-- main job: end -->"
SEARCH_BEGIN, SEARCH_END = ("<!-- search: begin (written by experiments/regenerate.py --search; do not edit by hand) -->",
                            "<!-- search: end -->")
CALIBRATION_BEGIN, CALIBRATION_END = ("<!-- calibration: begin (written by experiments/regenerate.py --calibration; do not edit "
                                      "by hand) -->", "<!-- calibration: end -->")
KPIS_BEGIN, KPIS_END = ("<!-- kpis: begin (written by experiments/regenerate.py --kpis from the metric registry; do not edit "
                        "by hand) -->", "<!-- kpis: end -->")
# The rows of the main job's table the README shows (its printout has them all).
EXCERPT = ("fill_rate_units (walk_in)", "fill_rate_units (home_delivery)", "fill_rate_units (instant)", "shelf_stockout_rate (walk_in)",
           "days_of_inventory ", "delivery_hours_p50 (home_delivery)", "on_time_rate (instant)", "cost_total ")


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}"


SEAL = re.compile(r"\n?<!-- written text's digest: ([0-9a-f]{16}) \(an edit by hand fails the tests\) -->\s*$")


def sealed(text: str) -> str:
    """``text`` with a last line holding its digest, so an edit by hand between a block's markers is caught
    (tests/smoke/test_experiments.py recomputes it)."""
    text = text.strip()
    return f"{text}\n<!-- written text's digest: {hashlib.sha256(text.encode()).hexdigest()[:16]} (an edit by hand fails the tests) -->"


def seal_holds(block: str) -> bool:
    """Whether a block (what lies between its markers) still is the text its seal was computed over."""
    found = SEAL.search(block)
    return found is not None and sealed(block[:found.start()]) == block.strip()


def between(path: Path, begin: str, end: str, text: str) -> None:
    """Replace what lies between the markers in ``path`` with ``text``, sealed (the markers must be there)."""
    page = path.read_text()
    if begin not in page or end not in page:
        raise SystemExit(f"{path}: no {begin!r} ... {end!r} markers to write between")
    page = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: f"{begin}\n{sealed(text)}\n{end}", page, flags=re.S)
    path.write_text(page)


def kpi_table() -> None:
    """The README's KPI table, from the metric registry."""
    between(README, KPIS_BEGIN, KPIS_END, kpi_reference())


def main_job_command() -> list[str]:
    """The README's main job as it is written: the part of the quick start's first command after the install."""
    block = README.read_text().split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    first = block.strip().splitlines()[0]
    return shlex.split(first.split("&&", 1)[1])


def run_afresh(command: list[str], out: Path, what: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``command`` from the repository root into ``out`` (removed first), as a user would; what it printed and
    its wall seconds. A failure ends the regeneration naming ``what`` failed."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{what} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return done, seconds


def main_job() -> None:
    """Run the main job word for word (its results folder started afresh), then write its excerpt, its answer and its
    charts into the README and docs/."""
    command, label = main_job_command(), commit_label()  # the label before this writes anything
    out = ROOT / "results" / ("compare_" + "_vs_".join(Path(a).stem for a in command if a.endswith(".yaml")))
    done, seconds = run_afresh(command, out, "the main job")
    lines = done.stdout.splitlines()
    first_table = lines[: lines.index("")]  # the comparison; the decomposition's table follows a blank line
    table = [lines[0], *[line for line in first_table[1:] if line.startswith(EXCERPT)], "..."]
    split_at = next(i for i, line in enumerate(lines) if line.startswith("How "))
    decomposition = lines[split_at: next(i for i in range(split_at, len(lines)) if lines[i].startswith("Seed "))]
    excerpt = "\n".join([*table, "", *[line for line in decomposition if line.strip()]])
    results = ResultsFolder.open(out)
    answer = answer_sentences(results)
    for chart in ("fill_rate_by_channel", "stock_by_node_type", "decomposition_days_of_inventory"):
        shutil.copyfile(out / "figures" / f"{chart}.png", ROOT / "docs" / f"{chart}.png")
    subprocess.run([sys.executable, str(ROOT / "docs" / "pdf_page.py"), str(out / "report.pdf"), "1",
                    str(ROOT / "docs" / "report_cover.png")], check=True)
    text = (f"Measured by `python experiments/regenerate.py --main-job` at commit {label} ({machine()}, the kernels "
            f"compiled): the main job took {seconds:.0f} s. Its output (an excerpt; `*`: the 95% CI of the difference excludes "
            f"zero):\n\n```\n{excerpt}\n```\n\n**What it says** (each sentence computed from the comparison's tables, as the "
            f"report writes them). " + " ".join(answer))
    between(README, MAIN_BEGIN, MAIN_END, text)


def search_command() -> list[str]:
    """The README's ``invsim optimize`` example as it is written (its continuation lines joined)."""
    block = README.read_text().split("invsim optimize scenarios/", 1)[1].split("\n```", 1)[0]
    lines, command = ("invsim optimize scenarios/" + block).splitlines(), []
    for line in lines:
        command.append(line.rstrip("\\ ").split("#", 1)[0])
        if not line.rstrip().endswith("\\"):
            break
    return shlex.split(" ".join(command))


def search_example() -> None:
    """Run the README's policy-search example word for word (its folder started afresh) and write what it printed,
    and its report's frontier chart, into the README and docs/."""
    command, label = search_command(), commit_label()
    out = ROOT / command[command.index("--out") + 1]
    done, seconds = run_afresh(command, out, "the search example")
    shutil.copyfile(out / "figures" / "frontier.png", ROOT / "docs" / "search_frontier.png")
    text = (f"Run by `python experiments/regenerate.py --search` at commit {label} ({machine()}): the example search above "
            f"took {seconds:.0f} s and printed\n\n```\n{done.stdout.strip()}\n{done.stderr.strip()}\n```\n\n"
            f"Its report's first chart (`{out.relative_to(ROOT)}/figures/frontier.png`):\n\n"
            "![Each point the search ran: stock against walk-in fill, the feasible ones blue, the choice starred]"
            "(docs/search_frontier.png)")
    between(README, SEARCH_BEGIN, SEARCH_END, text)


def answer_sentences(results: ResultsFolder) -> list[str]:
    """The main job's answer: how the pool's change splits between the groups, against the seed's figure, and the
    service it comes with."""
    table, shares, parts = results.read("comparison"), results.read("shapley"), results.manifest["decomposition"]
    baseline, policy = parts["baseline"], parts["policy"]

    def mean(name, channel, node_type, who):
        row = table[(table.metric == name) & (table.channel == channel) & (table.node_type == node_type) & (table.policy == who)]
        return float(row["mean"].iloc[0])

    said = [decomposition_sentence(shares, kpi, baseline, policy, mean(*kpi, baseline))
            for kpi in (DECOMPOSED[0], DECOMPOSED[2], DECOMPOSED[3])]
    days = shares[(shares.switch == "total") & (shares.metric == "days_of_inventory") & (shares.node_type == "all")].iloc[0]
    change = days.share / mean("days_of_inventory", "all", "all", baseline)
    ratio = change / -0.46
    said.append(f"The seed credits one pool with 28 to 15 days (-46%); here {policy} changes days of inventory by "
                f"{change:+.0%} against {baseline}, {ratio:.2f} times the seed's change "
                f"({'within' if 0.5 <= ratio <= 1.5 else 'outside'} the 0.5-1.5x the experiments count as agreeing).")
    said_already = (metric("fill_rate_units").label, metric("days_of_inventory").label)
    online = [s for s in headline(table, baseline, policy) if not any(label in s for label in said_already)]
    said += online[:3]
    return [s for s in said if s]


def calibration() -> None:
    """The calibrated split network's figures (one year, seed 7) and the two sweeps that say why its shelf stockout
    stays low, into scenarios/README.md."""
    base = ROOT / "scenarios" / "city_seed_split.yaml"
    run = sim.run(sim.load_scenario(base), seed=7)
    k = run.kpis.set_index(["metric", "channel", "node_type"])["value"]
    gives = (f"**What it gives** (`invsim run scenarios/city_seed_split.yaml`: seed 7, one year, at commit {commit_label()}): "
             f"stores **{k[('days_of_inventory', 'all', 'store')]:.1f} days**, the split online stock (the CW's online row and "
             f"the forward warehouses) **{k[('days_of_inventory', 'all', 'online_stock')]:.1f} days**, network "
             f"**{k[('days_of_inventory', 'all', 'all')]:.1f} days**; shelf stockout "
             f"**{k[('shelf_stockout_rate', 'walk_in', 'store')]:.1%}** "
             f"of ranged store-SKU-days; walk-in fill rate {k[('fill_rate_units', 'walk_in', 'all')]:.1%}; store records "
             f"{k[('record_accuracy', 'all', 'store')]:.1%} accurate; {k[('shrink_units', 'all', 'store')]:,.0f} units lost "
             f"unrecorded ({k[('cost_shrink', 'all', 'store')] / 1e6:.2f} M at cost). `tests/integration/test_calibrated_city.py` "
             "reruns it on every CI run: it must give these figures to the digit shown (a seeded regression check, so an engine "
             "change that moves them fails until this block is regenerated) and lie in the seed's bands (stores 30 to 50 days, "
             "online stock 15 to 35, records 25% to 45% accurate).")
    mix = sweep_table(base, {"demand.store_mix_cv": [0.8, 1.5, 2.5], "replenishment.planning_error.cv": [0.5, 1.0, 2.0]},
                      [("demand.store_mix_cv", "store mix cv"), ("replenishment.planning_error.cv", "planning error cv")])
    records = sweep_table(base, {"policies.store_records.shrink_share": [0.011, 0.03, 0.06],
                                 "policies.store_records.scan_error_rate": [0.06, 0.2]},
                          [("policies.store_records.shrink_share", "unrecorded loss, share of units sold"),
                           ("policies.store_records.scan_error_rate", "scan error rate")], records=True)
    counted = {days: sim.run(sim.load_scenario(base, {"policies.store_records.count_interval_days": days}), seed=7).kpis
               .set_index(["metric", "channel", "node_type"])["value"] for days in (90, 0)}
    shelf = {days: kpis[("shelf_stockout_rate", "walk_in", "store")] for days, kpis in counted.items()}
    yearly = k[("shelf_stockout_rate", "walk_in", "store")]  # the calibrated stores count once a year
    verb = "lowers" if shelf[90] < yearly < shelf[0] else "does not lower"
    text = (f"{gives}\n\nStock in the wrong stores: `invsim sweep scenarios/city_seed_split.yaml --grid demand.store_mix_cv=0.8,1.5,2.5 "
            f"--grid replenishment.planning_error.cv=0.5,1,2 --replications 1` (seed 7):\n\n{mix}\n\nRecords that drift from the "
            "shelf: `invsim sweep scenarios/city_seed_split.yaml --grid policies.store_records.shrink_share=0.011,0.03,0.06 --grid "
            f"policies.store_records.scan_error_rate=0.06,0.2 --replications 1` (seed 7; the first row is the calibrated "
            f"baseline):\n\n{records}\n\nCounting more often {verb} the shelf stockout (`--set "
            f"policies.store_records.count_interval_days=90`, seed 7): a count every 90 days gives {shelf[90]:.1%} (records "
            f"{counted[90][('record_accuracy', 'all', 'store')]:.0%} accurate), the calibrated yearly count {yearly:.1%}, "
            f"never counting (`=0`) {shelf[0]:.1%}.")
    between(SCENARIOS_README, CALIBRATION_BEGIN, CALIBRATION_END, text)


def sweep_table(base: Path, grid: dict, columns: list[tuple[str, str]], records: bool = False) -> str:
    """A one-replication sweep on the calibrated split network (seed 7) as a Markdown table."""
    table = sim.sweep(sim.load_scenario(base), grid, replications=1, seed=7)
    wide = table[table.node_type.isin(["all", "store"])].pivot_table(
        index=[p for p, _ in columns], columns=["metric", "channel", "node_type"], values="value", aggfunc="first")
    shown = [("record_accuracy", "all", "store", "records accurate", "{:.1%}")] if records else []
    shown += [("days_of_inventory", "all", "store", "stores, days", "{:.1f}"),
              ("shelf_stockout_rate", "walk_in", "store", "shelf stockout", "{:.1%}"),
              ("fill_rate_units", "walk_in", "all", "walk-in fill", "{:.1%}")]
    head = [label for _, label in columns] + [s[3] for s in shown]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for point, row in wide.iterrows():
        values = point if isinstance(point, tuple) else (point,)
        lines.append("| " + " | ".join([*(f"{v:g}" for v in values), *(fmt.format(row[(m, c, t)]) for m, c, t, _, fmt in shown)]) + " |")
    return "\n".join(lines)

