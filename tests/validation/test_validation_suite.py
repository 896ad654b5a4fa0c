"""The validation suite (``simulation/validation_cases.py``), one test per case: every check's reference
(theory, a stockpyl function or stockpyl's simulator) must lie inside the simulated confidence interval,
or within the stated tolerance where the reference is an approximation. ``python -m simulation.validate``
runs the same cases and writes VALIDATION.md."""

import math

import pytest

from simulation import validate, validation_cases
from simulation.validation_cases import CASES, Check

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


def test_suite_is_broad_enough_and_within_its_bonferroni_budget(results):
    """The issue's floor (at least 20 systems), and no more checks than the joint 99% level was split over."""
    checks = [c for name in CASES for c in (results.get(name) or CASES[name]())]
    assert len({(c.group, c.system) for c in checks}) >= 20
    assert len(checks) <= validation_cases.MAX_CHECKS


def fake_check(passed: bool) -> Check:
    mean = 0.5 if passed else 0.9
    return Check("g", "toy system", "fill rate", 0.5, "theory", mean, 0.01, 0.003, "10 copies")


def test_report_has_a_row_per_check_and_the_command_fails_on_a_failed_check(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(validate, "CASES", {"ok": lambda: [fake_check(True)], "bad": lambda: [fake_check(False)]})
    out = tmp_path / "V.md"
    assert validate.main(["--out", str(out), "--case", "ok"]) == 0
    text = out.read_text()
    assert "| 1 | toy system | fill rate | 0.5000 (theory) | 0.5000 ± 0.0100 | 10 copies | pass: inside CI |" in text
    assert "**1 of 1 checks pass**" in text
    assert validate.main(["--out", str(out)]) == 1
    text = out.read_text()
    assert text.count("| toy system |") == 2 and "**FAIL**" in text
    assert "FAIL toy system" in capsys.readouterr().err


def test_unknown_case_is_refused_by_name():
    with pytest.raises(SystemExit, match="unknown case"):
        validate.run(["no_such_case"])


def test_t_quantile_matches_tables():
    # Student t tables: t(0.975, 10) = 2.228, t(0.995, 30) = 2.750, t(0.9995, 20) = 3.850.
    for p, df, table in ((0.975, 10, 2.228), (0.995, 30, 2.750), (0.9995, 20, 3.850)):
        assert math.isclose(validation_cases.t_quantile(p, df), table, rel_tol=2e-3)
