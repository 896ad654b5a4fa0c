"""Small scenarios the cases are built from, and running one with a :class:`~simulation.validation.probe.Probe`."""

from __future__ import annotations

import copy

import numpy as np

from simulation.experiment.run import simulate
from simulation.metrics.order_stats import OrderStats
from simulation.scenario import scenario_from_dict
from simulation.validation.cases.checks import SEED
from simulation.validation.probe import Probe


def single_node(**overrides) -> dict:
    """A one-SKU world as a plain dict: a central warehouse fed by the supplier, serving one zone's
    parcel orders (one unit per order, Poisson counts), with optional stores. Callers edit the copy
    through dotted keys."""
    raw = {
        "name": "single-node",
        "network": {
            "nodes": [{"id": "CW", "type": "central_warehouse", "capacity_orders_per_hour": 1000,
                       "open_hour": 0, "close_hour": 24}],
            "zones": [{"id": "Z", "tier": 1, "demand_scale": 1.0, "channel_mix": {"home_delivery": 1.0}}],
            "lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 2}],
        },
        "catalog": {"skus": 1, "mean_daily_units": 5.0, "overdispersion": 0.0},
        "channels": {"home_delivery": {"promise_hours": 48, "transit_hours": 0, "unfilled": "backorder",
                                       "max_wait_days": 100000}},
        "demand": {"online": {"basket_lines_mean": 1.0, "units_per_line_mean": 1.0}},
        "replenishment": {"central_warehouse": {"policy": "base_stock", "S": 12}},
        "run": {"horizon_days": 2000, "warmup_days": 50},
    }
    for path, value in overrides.items():
        target = raw
        *head, last = path.split(".")
        for part in head:
            target = target[part]
        target[last] = value
    return copy.deepcopy(raw)


def copies(skus: int, daily_mean: float, **overrides) -> dict:
    """:func:`single_node` with ``skus`` identical SKUs (flat popularity, one cost)."""
    return single_node(**{"catalog": {"skus": skus, "mean_daily_units": daily_mean, "overdispersion": 0.0,
                                      "popularity": {"kind": "zipf", "exponent": 0.0},
                                      "unit_cost": {"mean": 10.0, "cv": 0.0}}, **overrides})


def probed(raw: dict, seed: int = SEED, replication: int = 0) -> tuple[Probe, OrderStats]:
    """Run the scenario ``raw`` with a :class:`Probe` watching; the probe and the run's order statistics."""
    scenario = scenario_from_dict(raw)
    p = Probe(scenario.run.warmup_days)
    _, _, stats = simulate(scenario, seed, replication, observers=[p])
    return p, stats


def probe(raw: dict, seed: int = SEED, replication: int = 0) -> Probe:
    return probed(raw, seed, replication)[0]


def label(p: Probe, rows, what: str = "SKU copies") -> str:
    n = np.size(rows) * p.world.skus.size
    return f"{n} {what} x {p.days:,} days"


def with_stores(stores: list[dict], lead: int, **overrides) -> dict:
    """Stores fed straight from the supplier, no online demand (walk-in only, lost sales)."""
    nodes = [{"id": "CW", "type": "central_warehouse"}, *[{"type": "store", "demand_scale": 1.0, **s} for s in stores]]
    return {"network.nodes": nodes, "network.zones": [],
            "network.lanes": [{"from": "supplier", "to": ["CW", *[s["id"] for s in stores]], "lead_time_days": lead}],
            "replenishment.central_warehouse": {"policy": "base_stock", "S": 0}, **overrides}


def local_network(fws: list[str], zones: int, pooled: bool, fed_by: str, lead: int, ranked: bool = False, **overrides) -> dict:
    """``zones`` zones with instant demand (backordered), served by forward warehouses ``fws``: one
    per zone 100 km apart, or one (``pooled``) beside all of them. Forward warehouses are fed by
    ``fed_by`` (``supplier`` or ``CW``); ``ranked``: served by a short source in their order (priority rationing)."""
    zone_list = [{"id": f"Z{i}", "tier": 1, "location": [0, 0] if pooled else [100 * i, 0],
                  "channel_mix": {"instant": 1.0}} for i in range(zones)]
    nodes = [{"id": "CW", "type": "central_warehouse"}]
    nodes += [{"id": f, "type": "forward_warehouse", "location": [0 if pooled else 100 * i, 0], "open_hour": 0,
               "close_hour": 24, "capacity_orders_per_hour": 100000, **({"priority": i} if ranked else {})} for i, f in enumerate(fws)]
    lanes = ([{"from": "supplier", "to": ["CW", *fws], "lead_time_days": lead}] if fed_by == "supplier"
             else [{"from": "supplier", "to": "CW", "lead_time_days": overrides.pop("cw_lead")},
                   {"from": "CW", "to": fws, "lead_time_days": lead}])
    return {"network.nodes": nodes, "network.zones": zone_list, "network.lanes": lanes,
            "channels": {"instant": {"promise_hours": 1, "unfilled": "backorder", "max_wait_days": 100000}},
            "replenishment.central_warehouse": {"policy": "base_stock", "S": 0}, **overrides}
