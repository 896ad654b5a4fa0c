"""Validation against theory: the simulator's fill rate and on hand agree with closed forms.

Each case runs independent replications (fixed seeds) and checks that the closed-form value lies inside
the 99% confidence interval of the replication means (Student t, R - 1 degrees of freedom).
"""

import itertools

import numpy as np
import pytest

import simulation as sim
from simulation.theory import base_stock_poisson
from tests.conftest import single_node

pytestmark = pytest.mark.validation

REPLICATIONS = 12
T99 = {11: 3.106}  # two-sided 99% Student t quantile for 11 degrees of freedom


def ci99(values):
    values = np.asarray(values)
    half = T99[values.size - 1] * values.std(ddof=1) / np.sqrt(values.size)
    return values.mean() - half, values.mean() + half


@pytest.mark.parametrize("lam, lead, base_stock", [(5.0, 2, 12), (2.0, 1, 3), (10.0, 4, 45)])
def test_base_stock_poisson_backorders_matches_theory(lam, lead, base_stock):
    sc = sim.scenario_from_dict(single_node(**{
        "catalog.mean_daily_units": lam,
        "network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
        "replenishment.central_warehouse": {"policy": "base_stock", "S": base_stock},
    }))
    fill, on_hand = [], []
    for rep in range(REPLICATIONS):
        res = sim.run(sc, seed=20261123, replication=rep)
        fill.append(res.kpi("fill_rate_units", channel="home_delivery"))
        daily = res.daily[(res.daily.node_type == "central_warehouse") & (res.daily.metric == "on_hand_units")]
        on_hand.append(daily[daily.day >= sc.run.warmup_days].value.mean())
    theory = base_stock_poisson(lam, lead, base_stock)
    lo, hi = ci99(fill)
    assert lo <= theory.fill_rate <= hi, f"fill rate theory {theory.fill_rate:.4f} outside 99% CI [{lo:.4f}, {hi:.4f}]"
    lo, hi = ci99(on_hand)
    assert lo <= theory.on_hand <= hi, f"on hand theory {theory.on_hand:.4f} outside 99% CI [{lo:.4f}, {hi:.4f}]"


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
