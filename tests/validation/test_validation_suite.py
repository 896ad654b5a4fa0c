"""The validation suite (``simulation/validation/cases/``), one test per case: every check's reference
(theory, a stockpyl function or stockpyl's simulator) must lie inside the simulated confidence interval,
or within the stated tolerance where the reference is an approximation. ``python -m simulation.validation``
runs the same cases and writes VALIDATION.md."""

import math
import re

import pytest

from simulation.validation import cases as validation_cases
from simulation.validation import document as validate
from simulation.validation.cases import CASES, Check

pytestmark = pytest.mark.validation


def describe(c: Check) -> str:
    return (f"{c.system}: {c.quantity}: reference {c.reference:.4f} ({c.source}), simulated {c.mean:.4f} "
            f"± {c.half_width:.4f} ({c.score:.1f} standard errors)")


@pytest.fixture(scope="module")
def results():
    return {}


@pytest.mark.parametrize("name", list(CASES))
def test_case_agrees_with_its_reference(name, results):
    checks = CASES[name]()
    assert checks, f"case {name} made no checks"
    results[name] = checks
    failed = [describe(c) for c in checks if not c.passed]
    assert not failed, "\n".join(failed)


def test_pooling_at_equal_stock_serves_more(results):
    """Beyond matching theory: at the same total stock one pool fills more than four separate stocks,
    and the gap is far outside both intervals."""
    checks = results.get("pooling") or CASES["pooling"]()
    separate, pooled = (c for c in checks if c.system.startswith("4 zones, equal total stock"))
    assert pooled.mean - pooled.half_width > separate.mean + separate.half_width, (separate, pooled)


def all_checks(results):
    return [c for name in CASES for c in (results.get(name) or CASES[name]())]


def test_suite_is_broad_enough_and_within_its_bonferroni_budget(results):
    """The issue's floor (at least 20 simulated systems), and no more simulation checks than the joint
    level was split over."""
    simulated = [c for c in all_checks(results) if c.engine]
    assert len({(c.group, c.system) for c in simulated}) >= 20
    assert len(simulated) <= validation_cases.MAX_CHECKS


def test_every_interval_is_at_the_published_per_check_level(results):
    """The half-widths are Student t at the level the page states, both from the same constants."""
    level = validation_cases.PER_CHECK_LEVEL
    assert level == pytest.approx(1 - (1 - validation_cases.JOINT_LEVEL) / validation_cases.MAX_CHECKS)
    _, s = validation_cases.interval([1.0, 2.0, 4.0, 3.0, 5.0])
    assert s["half_width"] / s["std_error"] == pytest.approx(validation_cases.t_quantile(1 - (1 - level) / 2, 4))
    page = validate.markdown(all_checks(results)[:3], {"x": 1.0})
    assert f"simulated: mean ± half-width ({level:.2%} CI)" in page and f"mean's {level:.2%} confidence interval" in page
    assert not re.search(r"(?<![\d.])99% CI", page)  # the old label, which claimed a plain 99% per check


def test_the_peer_check_detects_a_third_of_a_point_of_fill_rate(results):
    """Issue 15: against stockpyl's simulator a 0.3 pp fill-rate difference must be found (80% power)."""
    peer = [c for c in (results.get("one_warehouse_multi_retailer") or CASES["one_warehouse_multi_retailer"]())
            if "fill rate" in c.quantity]
    assert len(peer) == 3
    assert all(c.detectable <= 0.003 for c in peer), [(c.quantity, c.detectable) for c in peer]


def test_stored_stockpyl_replications_are_what_stockpyl_computes():
    """The stored peer runs cannot drift from stockpyl: replication 0, rerun now, gives the same numbers,
    and a file made for other parameters is refused with the command that remakes it."""
    from simulation.validation import peers as validation_peers
    stored = validation_peers.load_owmr()
    fresh = validation_peers.owmr_replication(0)
    assert fresh == {q: values[0] for q, values in stored.items()}
    with pytest.raises(ValueError, match=r"python -m simulation\.validation\.peers"):
        validation_peers.load_owmr({**validation_peers.OWMR, "retailer_S": 6})


def fake_check(passed: bool, engine: bool = True) -> Check:
    mean = 0.5 if passed else 0.9
    return Check("g", "toy system", "fill rate", 0.5, "theory", mean, 0.01, 0.003, "10 copies", detectable=0.012, engine=engine)


def test_report_has_a_row_per_check_and_the_command_fails_on_a_failed_check(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(validate, "CASES", {"ok": lambda: [fake_check(True)], "bad": lambda: [fake_check(False)]})
    out = tmp_path / "V.md"
    assert validate.main(["--out", str(out), "--case", "ok"]) == 0
    text = out.read_text()
    assert "| 1 | toy system | fill rate | 0.5000 (theory) | 0.5000 ± 0.0100 | ± 0.0120 | 10 copies | pass: inside CI |" in text
    assert "**1 of 1 simulation checks pass**" in text
    assert validate.main(["--out", str(out)]) == 1
    text = out.read_text()
    assert text.count("| toy system |") == 2 and "**FAIL**" in text
    assert "FAIL toy system" in capsys.readouterr().err


def test_theory_cross_checks_are_listed_apart_and_not_counted(monkeypatch, tmp_path):
    monkeypatch.setattr(validate, "CASES", {"mixed": lambda: [fake_check(True), fake_check(True, engine=False)]})
    out = tmp_path / "V.md"
    assert validate.main(["--out", str(out)]) == 0
    text = out.read_text()
    assert "**1 of 1 simulation checks pass**" in text and "1 of 1 theory cross-checks (no simulation) agree" in text
    theory_part = text.split("## Theory cross-checks")[1]
    assert theory_part.count("| toy system |") == 1 and text.count("| toy system |") == 2


def test_unknown_case_is_refused_by_name():
    with pytest.raises(SystemExit, match="unknown case"):
        validate.run(["no_such_case"])


def test_t_quantile_matches_tables():
    # Student t tables: t(0.975, 10) = 2.228, t(0.995, 30) = 2.750, t(0.9995, 20) = 3.850.
    for p, df, table in ((0.975, 10, 2.228), (0.995, 30, 2.750), (0.9995, 20, 3.850)):
        assert math.isclose(validation_cases.t_quantile(p, df), table, rel_tol=2e-3)
