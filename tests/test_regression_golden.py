"""Golden-value REGRESSION test (not validation): tiny.yaml with seed 7 must keep giving these numbers.

They were produced by this engine, not by theory; a change here means the model or its random streams
changed. If that was intended, say so in the commit and update the values.
"""

import pytest

import simulation as sim

GOLDEN = {
    ("fill_rate_units", "all"): 0.9683119022217231,
    ("fill_rate_units", "walk_in"): 0.9585722160970231,
    ("fill_rate_orders", "home_delivery"): 0.9967313140117673,
    ("avg_inventory_value", "all"): 62028.28299999999,
    ("delivery_hours_p95", "home_delivery"): 40.574619101859824,
    ("lost_sales_units", "all"): 1663.0,
}


def test_golden_regression_tiny_seed_7(tiny_path):
    res = sim.run(sim.load_scenario(tiny_path), seed=7)
    assert res.manifest["online_orders"] == 8525
    for (metric, channel), value in GOLDEN.items():
        assert res.kpi(metric, channel) == pytest.approx(value, rel=1e-9), (metric, channel)
