"""What a reader sees: report.pdf's pages rendered to pixels (pypdfium2) keep everything inside the page for
the flagship's comparison, a comparison of four and of six policies, a sweep and a pool ladder; report.html
in headless Chromium shows the headline and every figure, is not blank and overflows nothing."""

import json
import shutil
import subprocess

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.cli import main
from simulation.experiment.results import ResultsFolder
from simulation.experiment.shapley import coalitions, decompose, write_decomposition
from simulation.metrics.registry import kpi_label
from simulation.reporting.pdf import write_pdf
from simulation.reporting.report import HEADLINE
from tests.conftest import SCENARIOS
from tests.smoke.rendering import assert_inside_the_page, pages

SMALL = ["--set", "run.horizon_days=60", "--set", "run.warmup_days=10", "--set", "catalog.skus=200"]
def assert_cover_has_the_table(pdf_path, policies):
    text = " ".join(pages(pdf_path)[0][1].split())  # the cover; words wrapped in cells come back on several lines
    for policy in policies:
        assert policy in text.replace(" ", "").replace("-", "") or policy in text, policy
    for name, channel in HEADLINE:
        assert kpi_label(name, channel).split(",")[0] in text


FLAGSHIP = ["split", "control", "pooling", "pool"]


@pytest.fixture(scope="module")
def flagship(tmp_path_factory):
    """The main job's four policies at a small size (the cover's layout depends on names and digits, not on size)."""
    out = tmp_path_factory.mktemp("flagship")
    assert main(["compare", *(str(SCENARIOS / f"city_seed_{p}.yaml") for p in FLAGSHIP), "--decompose",
                 "replenishment=city_seed_control", "--decompose", "pooling=city_seed_pooling", "--replications", "2",
                 "--workers", "1", "--out", str(out), *SMALL]) == 0
    return out


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    """Four policies with the long names analysts give them, through the CLI."""
    out = tmp_path_factory.mktemp("four")
    names = {"split-channel-stock-as-today": "policies: {inventory_mode: split}",
             "one-pool-nearest-node-first": "policies: {inventory_mode: pool}",
             "one-pool-cheapest-node-first": "policies: {inventory_mode: pool, sourcing: min_cost}",
             "one-pool-single-node-first": "policies: {inventory_mode: pool, sourcing: single_node_first}"}
    files = []
    for name, policy in names.items():
        files.append(out / f"{name}.yaml")
        files[-1].write_text(f"extends: {SCENARIOS / 'tiny.yaml'}\nname: {name}\n{policy}\n")
    assert main(["compare", *map(str, files), "--replications", "2", "--workers", "1", "--out", str(out / "compare"),
                 "--set", "run.horizon_days=60", "--set", "run.warmup_days=10"]) == 0
    return out / "compare", list(names)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """The issue's categorical sweep, as an analyst types it."""
    out = tmp_path_factory.mktemp("sweep")
    assert main(["sweep", "scenarios/tiny.yaml", "--grid", "policies.inventory_mode=split,pool", "--replications", "3",
                 "--workers", "1", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    """A policy search on tiny with a target, as the CLI writes it (its report is drawn by invsim optimize)."""
    out = tmp_path_factory.mktemp("search")
    assert main(["optimize", "scenarios/tiny.yaml", "--vary", "replenishment.store.service_level=0.5..0.99", "--vary",
                 "replenishment.store.review_period_days=1..7", "--minimize", "avg_inventory_value", "--subject-to",
                 "fill_rate_units(walk_in)>=0.9", "--budget", "8", "--replications", "2", "--first-stage", "4",
                 "--workers", "1", "--out", str(out), "--set", "replenishment.store.policy=order_up_to",
                 "--set", "run.horizon_days=60", "--set", "run.warmup_days=10"]) == 0
    return out


def test_a_search_report_states_the_choice_its_bounds_and_guarantee_inside_the_page(search):
    """The cover says what was chosen, each target's bound at the choice (as selection.csv has it) and KN's guarantee;
    the finalists' table holds every finalist; three charts follow, each captioned."""
    assert_inside_the_page(search / "report.pdf")
    selection = pd.read_csv(search / "selection.csv")
    chosen = selection[selection["chosen"]].iloc[0]
    cover = " ".join(pages(search / "report.pdf")[0][1].split())
    assert f"one-sided 95% bound {chosen['fill_rate_units(walk_in) bound']:.1%}" in cover
    assert f"Chosen: replenishment.store.service_level = {chosen['replenishment.store.service_level']:.4g}" in cover
    assert "Guarantee: probability of correct selection >= 95%" in cover
    assert cover.count("eliminated after") == len(selection) - 1
    assert {p.stem for p in (search / "figures").glob("*.png")} == {"frontier", "progress", "settings"}
    assert (search / "report.html").read_text().count("<figcaption>") == 3


def test_flagship_pdf_cover_holds_its_table_inside_the_page(flagship):
    assert_inside_the_page(flagship / "report.pdf")
    assert_cover_has_the_table(flagship / "report.pdf", [f"city_seed_{p}" for p in FLAGSHIP])
    text = pages(flagship / "report.pdf")[-1][1]
    n = len(pages(flagship / "report.pdf"))
    assert f"page {n} of {n}" in text


def test_four_policy_comparison_renders_inside_the_page(four):
    folder, names = four
    assert_inside_the_page(folder / "report.pdf")
    assert_cover_has_the_table(folder / "report.pdf", [n.replace("-", "") for n in names])


def test_six_policies_of_wide_numbers_still_fit(tmp_path):
    """The table alone, at its widest: six policies whose cells are nine-digit totals with their CIs."""
    policies = [f"policy-number-{i}-with-a-long-name" for i in range(6)]
    head = ["KPI (mean, [95% CI])", *policies]
    rows = [[kpi_label(name, channel), *["123,456,789\n[123,000,000, 124,000,000]"] * 6] for name, channel in HEADLINE]
    path = tmp_path / "six.pdf"
    write_pdf(path, "Six policies " * 8, ["A headline sentence. " * 12], (head, rows), "A note.", [], tmp_path)
    assert_inside_the_page(path)
    assert pages(path)[0][1].count("123,456,789") == 6 * len(HEADLINE)


def test_sweep_report_charts_every_point_with_cis_and_fits_the_page(sweep):
    charts = {p.stem for p in (sweep / "figures").glob("*.png")}
    assert len(charts) >= 4
    assert {"fill_rate_by_channel", "on_time_by_channel", "days_of_inventory", "stock_by_node_type",
            "delivery_p90_by_channel"} <= charts
    assert_inside_the_page(sweep / "report.pdf")
    page = (sweep / "report.html").read_text()
    assert "whiskers are the 95% confidence interval of each mean" in page  # every bar chart's caption says so
    text = " ".join(" ".join(t.split()) for _, t in pages(sweep / "report.pdf"))
    assert text.count("whiskers are the 95% confidence interval of each mean") == 5  # the five bar charts, captioned


def test_sweep_bars_are_the_grid_points_means_and_cis(sweep):
    from simulation.experiment.stats import mean_ci
    from simulation.reporting.figures import sweep_as_comparison

    table = pd.read_parquet(sweep / "sweep.parquet")
    as_policies = sweep_as_comparison(table)
    for mode in ("split", "pool"):
        values = table[(table["policies.inventory_mode"] == mode) & (table.metric == "fill_rate_units")
                       & (table.channel == "walk_in") & (table.node_type == "all")].value.to_numpy()
        mean, half = mean_ci(values)
        row = as_policies[(as_policies.policy == mode) & (as_policies.metric == "fill_rate_units")
                          & (as_policies.channel == "walk_in") & (as_policies.node_type == "all")].iloc[0]
        assert row["mean"] == pytest.approx(mean) and row["ci_high"] == pytest.approx(mean + half)


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    """A two-switch pool ladder on tiny: a replenishment change (weekly store orders) and one pool."""
    out = tmp_path_factory.mktemp("ladder")
    base = sim.load_scenario(SCENARIOS / "tiny.yaml", {"run.horizon_days": 60, "run.warmup_days": 10})
    switches = {"weekly": {"replenishment.store": {"policy": "order_up_to", "review_period_days": 7, "service_level": 0.95}},
                "one_pool": {"policies.inventory_mode": "pool"}}
    ladder = {"-".join(sorted(on)) or "none": on for on in coalitions(list(switches))}
    scenarios = [sim.with_overrides(base, {"name": name, "policies.inventory_mode": "split",
                                           **{k: v for s in on for k, v in switches[s].items()}}) for name, on in ladder.items()]
    result = sim.compare(scenarios, replications=3, seed=5, workers=1)
    ResultsFolder(out, "comparison").write(comparison=result.table, runs=result.runs)
    shares = decompose(result.runs, ladder, list(switches), [("days_of_inventory", "all", "all")])
    write_decomposition(out, shares, "none", "one_pool-weekly", list(switches), 5, 3,
                        names={"none": "split", "weekly": "weekly orders", "one_pool-weekly": "one pool"},
                        shown=["none", "weekly", "one_pool-weekly"])
    sim.report(out)
    return out, result.runs, shares


def test_a_decomposed_report_leads_with_the_shares(ladder):
    out = ladder[0]
    page = (out / "report.html").read_text()
    assert (out / "figures" / "decomposition_days_of_inventory.png").is_file()
    assert page.index('id="decomposition_days_of_inventory"') < page.index('id="fill_rate_by_channel"')
    first = page.split('id="headline">')[1].split("</p>")[0]
    assert first.startswith("<p>one pool changes days of inventory by") and "made first" in first and "made last" in first
    assert "pooling itself" not in page  # a one-order difference is never called that
    cover = " ".join(pages(out / "report.pdf")[0][1].split())
    assert "split" in cover and "weekly orders" in cover and "one pool" in cover and "none" not in cover  # by name
    assert_inside_the_page(out / "report.pdf")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["decomposition"]["switches"] == ["weekly", "one_pool"]


def test_waterfall_bars_are_the_shapley_shares_with_their_range_over_orders(ladder):
    from matplotlib.figure import Figure

    from simulation.experiment.compare import paired_difference
    from simulation.reporting import plots

    _, runs, shares = ladder
    kpi = ("days_of_inventory", "all", "all")
    ax = plots.decomposition_waterfall(shares, kpi, ax=Figure().subplots())
    bars = [(p.get_y(), p.get_height()) for p in ax.patches]
    share = shares.set_index("switch")
    expected = [(0.0, share.loc["weekly", "share"]), (share.loc["weekly", "share"], share.loc["one_pool", "share"]),
                (0.0, share.loc["total", "share"])]
    np.testing.assert_allclose(bars, expected, atol=1e-12)
    assert share.loc["weekly", "share"] + share.loc["one_pool", "share"] == pytest.approx(share.loc["total", "share"])
    # the range beside each bar: the switch made first (from none) and made last (onto the other)
    first = paired_difference(runs, "none", "weekly", kpi)[0]
    last = paired_difference(runs, "one_pool", "one_pool-weekly", kpi)[0]
    assert (share.loc["weekly", "first"], share.loc["weekly", "last"]) == pytest.approx((first, last))
    ends = sorted(float(y) for line in ax.lines for y in line.get_ydata() if len(line.get_ydata()) == 2
                  and line.get_xdata()[0] == pytest.approx(0.42))
    assert ends == pytest.approx(sorted([first, last]))


# Every element's right edge within the page, written into the DOM for --dump-dom to return.
PROBE = """<script>
const width = document.documentElement.clientWidth;
const over = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > width + 0.5)
  .map(e => e.tagName + (e.id ? "#" + e.id : ""));
document.body.setAttribute("data-overflow", JSON.stringify(over));
document.body.setAttribute("data-scroll-width", String(document.documentElement.scrollWidth - width));
</script></body>"""
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args):
    return subprocess.run([*CHROMIUM, f"--user-data-dir={tmp_path / 'profile'}", *args], capture_output=True, text=True,
                          timeout=120, check=True).stdout


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="headless Chromium not installed: tests/install_browser.sh installs it (as root, Debian)")
@pytest.mark.parametrize("which", ["flagship", "four", "sweep", "search"])
def test_report_renders_in_headless_chromium(which, request, tmp_path):
    folder = request.getfixturevalue(which)
    folder = folder[0] if isinstance(folder, tuple) else folder
    page = (folder / "report.html").read_text()
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", PROBE))
    for width in (1280, 700):  # a laptop and a narrow window
        dom = chromium(tmp_path, "--dump-dom", f"--window-size={width},1000", probed.as_uri())
        figures = len(list((folder / "figures").glob("*.png")))
        assert dom.count("<figure") == figures and dom.count("<img") == figures and 'id="headline"' in dom
        assert 'data-overflow="[]"' in dom, (width, dom.split('data-overflow="')[1][:300])
        assert 'data-scroll-width="0"' in dom
    shot = tmp_path / "page.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", (folder / "report.html").as_uri())
    image = matplotlib.image.imread(shot)[..., :3]
    assert image.std() > 0.05 and (image < 0.5).mean() > 0.01  # text and charts, not a blank page
