import copy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def single_node(**overrides) -> dict:
    """A one-SKU world as a plain dict: a central warehouse fed by the supplier, serving one zone's
    parcel orders (one unit per order, Poisson counts), with optional stores. Tests edit the copy."""
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


@pytest.fixture
def tiny_path():
    return SCENARIOS / "tiny.yaml"


@pytest.fixture
def city_path():
    return SCENARIOS / "city.yaml"
