"""Golden-value REGRESSION test (not validation): tiny.yaml with seed 7 must keep giving these numbers.

They were produced by this engine, not by theory; a change here means the model or its random streams
changed. If that was intended, say so in the commit and update the values.
"""

import pytest

import simulation as sim

# Regenerated when issue 3 added sourcing, BOPIS at stores, split online stock and carrier cut-offs.
GOLDEN = {
    "split": {
        ("fill_rate_units", "all"): 0.9707451288674266,
        ("fill_rate_units", "walk_in"): 0.9649944873208379,
        ("fill_rate_orders", "home_delivery"): 0.9864894312486381,
        ("avg_inventory_value", "all"): 66911.42820000002,
        ("delivery_hours_p95", "home_delivery"): 48.94915214853485,
        ("lost_sales_units", "all"): 1433.0,
        ("split_rate", "all"): 0.01099520721736679,
    },
    "pool": {
        ("fill_rate_units", "all"): 0.973927040634885,
        ("fill_rate_units", "walk_in"): 0.963864388092613,
        ("fill_rate_orders", "home_delivery"): 0.999128350403138,
        ("avg_inventory_value", "all"): 63308.60780000001,
        ("delivery_hours_p95", "home_delivery"): 45.868294623351126,
        ("lost_sales_units", "all"): 1340.0,
        ("split_rate", "all"): 0.03292528493035036,
    },
}


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_golden_regression_tiny_seed_7(tiny_path, mode):
    res = sim.run(sim.load_scenario(tiny_path, {"policies.inventory_mode": mode}), seed=7)
    assert res.manifest["online_orders"] == 8525  # the same orders in both modes (common random numbers)
    for (metric, channel), value in GOLDEN[mode].items():
        assert res.kpi(metric, channel) == pytest.approx(value, rel=1e-9), (metric, channel)
