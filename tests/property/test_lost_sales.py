"""A store under (s, S) with lost sales: more stock never serves fewer customers (a monotone property;
the exact lost-sales values are in the validation suite)."""

import itertools

import simulation as sim
from tests.conftest import single_node


def test_lost_sales_min_max_fill_rate_rises_with_S():
    """A store under (s, S) with lost sales: more stock (a higher S, same s) never serves fewer customers."""
    raw = single_node(**{
        "network.nodes": [{"id": "CW", "type": "central_warehouse"}, {"id": "S1", "type": "store", "demand_scale": 1.0}],
        "network.zones": [],
        "network.lanes": [{"from": "supplier", "to": ["CW", "S1"], "lead_time_days": 2}],
        "catalog.mean_daily_units": 3.0,
        "run.horizon_days": 3000,
    })
    fills = []
    for S in (4, 7, 10, 13, 16):
        raw["replenishment"] = {"store": {"policy": "min_max", "s": 3, "S": S},
                                "central_warehouse": {"policy": "base_stock", "S": 0}}
        res = sim.run(sim.scenario_from_dict(raw), seed=5)
        fills.append(res.kpi("fill_rate_units", channel="walk_in"))
    assert all(b > a for a, b in itertools.pairwise(fills)), fills
    # s = 3 sits below the mean lead-time demand (6), so S lifts fill a lot but cannot perfect it.
    assert fills[-1] - fills[0] > 0.2, fills
