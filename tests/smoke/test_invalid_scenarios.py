"""Bad input gets one clear line per problem naming its field path, exit code 2, and no traceback."""

import copy
import re
import subprocess
import sys

import pytest
import yaml

import simulation as sim
from simulation.cli import main
from tests.conftest import SCENARIOS

TINY = yaml.safe_load((SCENARIOS / "tiny.yaml").read_text())

# (what is wrong, overrides applied to tiny.yaml, text every message must contain)
CASES = [
    ("wrong type", {"network.nodes[0].capacity_orders_per_hour": "fast"},
     "network.nodes[0].capacity_orders_per_hour: input should be a valid number"),
    ("negative capacity", {"network.nodes[3].capacity_orders_per_hour": -5},
     "network.nodes[3].capacity_orders_per_hour: must be >= 0.01, got -5"),
    ("unknown node in a lane", {"network.lanes[2].to": ["S1", "S9"]}, "network.lanes[2].to[1]: unknown node 'S9'"),
    ("warm-up not shorter than horizon", {"run.warmup_days": 120}, "run.warmup_days: must be < horizon_days (120), got 120"),
    ("empty catalog", {"catalog.skus": 0}, "catalog.skus: must be >= 1, got 0"),
    ("unknown policy name", {"replenishment.store.policy": "magic"}, "replenishment.store: input tag 'magic'"),
    ("misspelt field", {"run.horizon": 10}, "run.horizon: unknown field"),
    ("channel mix not summing to 1", {"demand.online.channel_mix": {"home_delivery": 0.5, "bopis": 0.2, "instant": 0.1}},
     "demand.online.channel_mix: shares must sum to 1, got 0.8"),
    ("duplicate node id", {"network.nodes[3].id": "S1"}, "network.nodes[3].id: duplicate node id 'S1'"),
    ("node without a source", {"network.lanes[2].to": ["S1", "S2", "S3"]}, "network.nodes[5]: node 'S4' has no inbound lane"),
    ("supply cycle", {"network.lanes[0].from": "FW1", "network.lanes[1].from": "CW"},
     "sits on a supply cycle"),
    ("probabilities not summing to 1", {"network.lanes[2].lead_time_days": {"kind": "discrete", "values": [1, 2], "probs": [0.5, 0.2]}},
     "network.lanes[2].lead_time_days.discrete: probs must sum to 1, got 0.7"),
    ("tier missing from a promise table", {"channels.home_delivery.promise_hours": {1: 24, 2: 36}},
     "channels.home_delivery.promise_hours: no value for tier 3"),
    ("instant demand without a forward warehouse", {"network.zones[3].channel_mix": {"instant": 1.0}},
     "network.zones[3].channel_mix: zone 'Z4' has instant demand"),
    ("unknown zone of a shock", {"demand.shocks[0].zones": ["Z9"]}, "demand.shocks[0].zones[0]: unknown zone 'Z9'"),
    ("weekday profile of the wrong length", {"demand.weekday": [1, 1, 1]}, "demand.weekday: list should have at least 7 items"),
    ("explicit S below s", {"replenishment.store": {"policy": "min_max", "s": 5, "S": 2}}, "replenishment.store.S: must be >= s"),
    ("two service targets", {"replenishment.store": {"policy": "base_stock", "fill_rate": 0.97, "service_level": 0.9}},
     "replenishment.store.base_stock: give service_level or fill_rate, not both"),
    ("fill rate on a reorder point", {"replenishment.store": {"policy": "min_max", "s": {"fill_rate": 0.9}}},
     "replenishment.store.min_max: fill_rate sizes order-up-to levels (order_up_to, base_stock); min_max takes service_level"),
    ("fill rate of 1", {"replenishment.store": {"policy": "base_stock", "fill_rate": 1.0}},
     "replenishment.store.base_stock.fill_rate: must be < 1.0, got 1.0"),
    ("no vendors", {"catalog.suppliers": 0}, "catalog.suppliers: must be >= 1, got 0"),
    ("a shock naming groups and a share", {"demand.shocks[0].sku_groups": ["umbrellas"], "demand.shocks[0].sku_share": 0.5},
     "demand.shocks[0]: give sku_share or sku_groups, not both"),
    ("an unknown SKU group", {"demand.shocks[0].sku_groups": ["umbrellas"]},
     "demand.shocks[0].sku_groups[0]: unknown SKU group 'umbrellas' (the catalog's: none)"),
    ("groups over all SKUs", {"catalog.groups": {"a": 0.7, "b": 0.5}},
     "catalog.groups: shares must sum to at most 1 (no SKU in two groups), got 1.2"),
    ("unknown inventory mode", {"policies.inventory_mode": "shared"}, "policies.inventory_mode: input should be 'split' or 'pool'"),
    ("unknown sourcing rule", {"policies.sourcing": "closest"}, "policies.sourcing: input should be 'nearest'"),
    ("BOPIS without a store in reach", {"network.zones[4].location": None},
     "network.zones[4].channel_mix: zone 'Z5' has bopis demand (0.2) but no store to collect from"),
    ("ship-from-store on a warehouse", {"network.nodes[1].ship_from_store": True},
     "network.nodes[1].ship_from_store: only stores take this flag"),
    ("zero pickers", {"network.nodes[0].pickers": 0}, "network.nodes[0].pickers: must be >= 1, got 0"),
    ("location that is not a point", {"network.nodes[2].location": [1, 2, 3]}, "network.nodes[2].location: tuple should have at most 2"),
    ("transfer cover inverted", {"policies.transfers": {"rule": "rebalance", "target_cover_days": 30}},
     "policies.transfers.target_cover_days: must be < excess_cover_days (21), got 30"),
    ("promotion cannibalising its own channel", {"demand.promotions[0].cannibalise": {"bopis": 0.2}},
     "demand.promotions[0].cannibalise: ['bopis'] are also promoted"),
    ("return rate above 1", {"returns": {"home_delivery": {"rate": 1.5}}}, "returns.home_delivery.rate: must be <= 1.0, got 1.5"),
    ("negative days to return", {"returns": {"home_delivery": {"rate": 0.2, "days_to_return": -3}}},
     "returns.home_delivery.days_to_return.fixed.value: must be >= 0.0, got -3"),
    ("negative inspection days", {"returns": {"bopis": {"rate": 0.1, "inspection_days": -1}}},
     "returns.bopis.inspection_days: must be >= 0, got -1"),
    ("unknown return route", {"returns": {"instant": {"rate": 0.1, "route": "drone"}}},
     "returns.instant.route: input should be 'courier', 'store' or 'mixed'"),
    ("mixed return route without its share", {"returns": {"home_delivery": {"rate": 0.1, "route": "mixed"}}},
     "returns.home_delivery.store_share: a mixed route needs the share of returns taken to a store"),
    ("store returns where a zone reaches no store", {"network.zones[4].location": None,
                                                     "network.zones[4].channel_mix": {"home_delivery": 1.0},
                                                     "returns": {"home_delivery": {"rate": 0.2, "route": "store"}}},
     "returns.home_delivery.route: zone 'Z5' has no store to take a return to"),
    ("reserved character in a node id", {"network.nodes[0].id": "CW:1", "network.lanes[0].to": "CW:1",
                                         "network.lanes[1].from": "CW:1", "network.lanes[2].from": "CW:1"},
     "network.nodes[0].id: ':' is reserved"),
]


def set_path(raw, path, value):
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    target = raw
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


@pytest.mark.parametrize("what, overrides, expected", CASES, ids=[c[0] for c in CASES])
def test_invalid_scenario_is_reported_by_field_path(what, overrides, expected, tmp_path, capsys):
    raw = copy.deepcopy(TINY)
    for path, value in overrides.items():
        set_path(raw, path, value)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, sort_keys=False))
    for command in (["validate", str(bad)], ["run", str(bad), "--out", str(tmp_path / "out")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert expected in err, err
        assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_every_problem_is_listed_at_once(tiny_path, capsys):
    code = main(["validate", str(tiny_path), "--set", "catalog.skus=0", "--set", "run.warmup_days=500",
                 "--set", "network.nodes[1].open_hour=30"])
    err = capsys.readouterr().err
    assert code == 2
    assert "3 problem(s)" in err
    for field in ("catalog.skus", "run.warmup_days", "network.nodes[1].open_hour"):
        assert f"  {field}: " in err


@pytest.mark.parametrize("args, expected", [
    (["validate", "no/such/file.yaml"], "(file): no such file 'no/such/file.yaml'"),
    (["validate", "{tiny}", "--set", "run.horizon_days"], "expected PATH=VALUE"),
    (["validate", "{tiny}", "--set", "network.nodes[99].id=X"], "network.nodes.99 is not a list item that exists"),
    (["validate", "{bad_yaml}"], "YAML syntax"),
    (["validate", "{list_yaml}"], "(top level): must be a mapping"),
    (["validate", "{bad_catalog}"], "catalog.file: has no rows"),
])
def test_bad_files_and_overrides(args, expected, tiny_path, tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("name: x\nnetwork: [unclosed\n")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    (tmp_path / "empty.csv").write_text("sku,mean_daily_units,unit_cost,price\n")
    raw = dict(TINY, catalog={"file": "empty.csv"})
    (tmp_path / "cat.yaml").write_text(yaml.safe_dump(raw))
    paths = {"tiny": tiny_path, "bad_yaml": tmp_path / "bad.yaml", "list_yaml": tmp_path / "list.yaml",
             "bad_catalog": tmp_path / "cat.yaml"}
    code = main([a.format(**paths) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err, err
    assert "Traceback" not in err


def test_console_exit_code_and_no_traceback_end_to_end(tiny_path):
    proc = subprocess.run([sys.executable, "-m", "simulation", "validate", str(tiny_path), "--set", "catalog.skus=-1"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "catalog.skus: must be >= 1, got -1" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_scenario_errors_survive_a_process_boundary():
    """A worker process's ScenarioError reaches the parent with its problems intact (pickled)."""
    import pickle

    err = sim.ScenarioError(["catalog.skus: must be >= 1, got 0"], "x.yaml")
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and back.source == "x.yaml" and str(back) == str(err)
