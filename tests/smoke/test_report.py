"""`invsim report`: a real (small) comparison turned into report.html, report.pdf and figures."""

import html
import json
import re
import xml.etree.ElementTree as ET

import matplotlib.image
import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pytest

from simulation.cli import main
from simulation.metrics.registry import metric
from simulation.reporting.report import HEADLINE, sweep_headline
from tests.smoke.rendering import assert_inside_the_page

FIGURES = {"fill_rate_by_channel", "on_time_by_channel", "days_of_inventory", "cost_per_order_by_channel",
           "stock_by_node_type", "stock_over_time", "stockouts_over_time",
           "delivery_time_bopis", "delivery_time_home_delivery", "delivery_time_instant"}
SMALL = ["--set", "run.horizon_days=60", "--set", "run.warmup_days=10", "--set", "catalog.skus=200"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    code = main(["compare", "scenarios/city_split.yaml", "scenarios/city_pool.yaml", "--replications", "2", "--workers", "1",
                 "--out", str(out), *SMALL])
    assert code == 0
    return out


def test_compare_writes_the_report_and_every_figure(folder):
    assert (folder / "report.html").is_file() and (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    names = {p.stem for p in (folder / "figures").glob("*.png")}
    assert names == FIGURES
    for name in names:
        image = matplotlib.image.imread(folder / "figures" / f"{name}.png")
        assert image.shape[0] >= 600 and image.shape[1] >= 1100  # 8 x 4.5 in at 150 dpi
        assert image[..., :3].std() > 0.05  # not blank
        ET.parse(folder / "figures" / f"{name}.svg")  # well-formed SVG
    pdf = pdfium.PdfDocument(str(folder / "report.pdf"))
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdf)
    pdf.close()
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", (folder / "report.html").read_text())
    assert len(captions) == len(names)
    for caption in captions:  # every chart is in the PDF with its caption (the text layer breaks lines and hyphens)
        assert html.unescape(caption)[:40] in text
    assert_inside_the_page(folder / "report.pdf")  # two policies: the first layout case


def test_headline_states_only_significant_effects_with_the_tables_numbers(folder):
    table = pd.read_parquet(folder / "comparison.parquet")
    page = (folder / "report.html").read_text()
    sentences = re.findall(r"<p>(.*?)</p>", page.split('id="headline">')[1].split("</section>")[0])
    assert len(sentences) == len(HEADLINE)
    for sentence, (name, channel) in zip(sentences, HEADLINE, strict=True):
        m = metric(name)  # the label and the format the report prints, from the metric registry
        rows = table[(table.metric == name) & (table.channel == channel) & (table.node_type == "all")].set_index("policy")
        base, pool = rows.loc["city_split"], rows.loc["city_pool"]
        assert m.label in sentence
        assert m.with_unit(base["mean"]).replace("&", "&amp;") in sentence and m.with_unit(pool["mean"]) in sentence
        assert sentence.startswith("No significant difference") == (not bool(pool["significant"]))


def test_html_is_self_contained(folder):
    page = (folder / "report.html").read_text()
    assert not re.search(r"(src|href)=\"(?!data:)", page), "every image is inlined"
    assert "http://" not in page and "https://" not in page
    assert page.count('src="data:image/png;base64,') == len(FIGURES)


def test_report_command_rewrites_and_refuses_a_folder_without_a_comparison(folder, tmp_path, capsys):
    assert main(["report", str(folder)]) == 0
    assert "report.html" in capsys.readouterr().out
    assert main(["report", str(tmp_path)]) == 2
    assert "no comparison.parquet" in capsys.readouterr().err


def test_outputs_are_readable_files_not_private_temp_files(folder):
    """Atomic writes go through mkstemp (mode 0600); the final files get the usual umask mode."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    for path in [folder / "report.html", folder / "comparison.parquet", *(folder / "figures").iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path


def test_sweep_folder_report_names_the_ranges_and_the_parameter_that_moves_most(tmp_path):
    out = tmp_path / "sweep"
    assert main(["sweep", "scenarios/tiny.yaml", "--grid", "policies.inventory_mode=split,pool",
                 "--grid", "replenishment.store.service_level=0.8,0.95", "--replications", "2", "--workers", "1",
                 "--set", "run.horizon_days=60", "--set", "run.warmup_days=10", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    table = pd.read_parquet(out / "sweep.parquet")
    fill = table[(table.metric == "fill_rate_units") & (table.channel == "all") & (table.node_type == "all")]
    by_point = fill.groupby(["policies.inventory_mode", "replenishment.store.service_level"]).value.mean()
    page = (out / "report.html").read_text()
    sentence = next(s for s in re.findall(r"<p>(.*?)</p>", page) if s.startswith("Fill rate"))
    assert f"{by_point.min():.1%}" in sentence and f"{by_point.max():.1%}" in sentence
    assert "replenishment.store.service_level moves it most" in sentence  # the service target, not the mode
    per_rep = fill.groupby(["replenishment.store.service_level", "replication"]).value.mean().unstack(0)
    diff = (per_rep[0.95] - per_rep[0.8]).to_numpy()  # paired by replication; two of them: t = 12.706
    half = 12.706 * diff.std(ddof=1) / np.sqrt(2)
    assert f"95% CI {(diff.mean() - half) * 100:+.1f} pp to {(diff.mean() + half) * 100:+.1f} pp" in sentence
    assert {p.stem for p in (out / "figures").glob("*.png")} == {
        "fill_rate_by_channel", "on_time_by_channel", "delivery_p90_by_channel", "days_of_inventory", "cost_per_order_by_channel",
        "stock_by_node_type", "sensitivity_fill_rate_units", "sensitivity_days_of_inventory", "service_vs_inventory"}
    assert not re.search(r"(src|href)=\"(?!data:)", page)


def test_run_folder_report_has_the_runs_numbers_and_its_time_charts(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "scenarios/tiny.yaml", "--replications", "2", "--quiet", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    kpis = pd.read_parquet(out / "kpis.parquet")
    fill = kpis[(kpis.metric == "fill_rate_units") & (kpis.channel == "all") & (kpis.node_type == "all")].value
    page = (out / "report.html").read_text()
    assert f"Fill rate (units): {fill.mean():.1%} ±" in page
    assert {p.stem for p in (out / "figures").glob("*.png")} == {"stock_over_time", "stockouts_over_time", "delivery_time_bopis",
                                                                 "delivery_time_home_delivery", "delivery_time_instant"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert {e["name"] for e in manifest["calendar"]} == {"spring-sale", "rainstorm"}  # shaded on the time charts
    assert_inside_the_page(out / "report.pdf")


def test_sweep_headline_says_when_no_parameter_moves_a_kpi_beyond_noise():
    rng = np.random.default_rng(0)
    rows = [{"run_id": f"{i}-{r}", "point": i, "replication": r, "seed": 0, "metric": "fill_rate_units", "channel": "all",
             "node_type": "all", "value": 0.9 + rng.normal(0, 0.02), "lead": lead}
            for i, lead in enumerate((1, 2, 3)) for r in range(5)]
    sentence, = sweep_headline(pd.DataFrame(rows))
    assert "no parameter moves it significantly (the largest, lead:" in sentence
    moved = pd.DataFrame(rows).assign(value=lambda t: t.value - 0.05 * t.lead)
    assert "; lead moves it most (" in sweep_headline(moved)[0]


def test_a_comparison_with_returns_reports_their_rate_delay_and_cost(folder, tmp_path):
    """The report's KPI table gains the return rate of each channel with returns, the days from return to
    sellable and the returns cost, with the comparison's numbers; a comparison without returns has none."""
    out = tmp_path / "returns"
    returns = "returns={home_delivery: {rate: 0.2, route: mixed, store_share: 0.6}}"
    assert main(["compare", "scenarios/city_split.yaml", "scenarios/city_pool.yaml", "--replications", "2", "--workers", "1",
                 "--out", str(out), *SMALL, "--set", returns]) == 0
    page = html.unescape((out / "report.html").read_text())
    table = pd.read_parquet(out / "comparison.parquet")
    rate = table[(table.metric == "return_rate") & (table.channel == "home_delivery") & (table.node_type == "all")]
    for label in ("Return rate, home delivery", "Days from return to sellable", "Returns cost"):
        assert label in page
    for mean in rate["mean"]:
        assert metric("return_rate").format(mean) in page
    assert "Return rate" not in html.unescape((folder / "report.html").read_text())
