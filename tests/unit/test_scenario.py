"""Scenarios: immutable, hashable by content, overridable by dotted path, catalogs from files."""

import re

import pandas as pd
import pydantic
import pytest

import simulation as sim
from simulation.scenario import apply_overrides, parse_set_options
from simulation.world.catalog import build_catalog
from tests.conftest import SCENARIOS


def test_bundled_scenarios_have_the_documented_sizes(tiny_path, city_path):
    tiny, city = sim.load_scenario(tiny_path), sim.load_scenario(city_path)
    def count(sc, t):
        return len(sc.node_ids(t))
    assert (count(tiny, "central_warehouse"), count(tiny, "forward_warehouse"), count(tiny, "store")) == (1, 1, 4)
    assert tiny.catalog.skus == 50 and tiny.run.horizon_days == 120
    assert (count(city, "central_warehouse"), count(city, "forward_warehouse"), count(city, "store")) == (1, 3, 30)
    assert len(city.network.zones) == 40 and city.catalog.skus == 2000 and city.run.horizon_days == 365
    assert {z.tier for z in city.network.zones} == {1, 2, 3, 4, "remote"}


def test_scenario_is_immutable(tiny_path):
    sc = sim.load_scenario(tiny_path)
    with pytest.raises(pydantic.ValidationError):
        sc.run.horizon_days = 5


def test_digest_depends_on_content_only(tiny_path):
    a, b = sim.load_scenario(tiny_path), sim.load_scenario(tiny_path)
    assert a.digest() == b.digest()
    assert sim.with_overrides(a, {"run.seed": 99}).digest() != a.digest()
    assert sim.with_overrides(a, {}).digest() == a.digest()


def test_overrides_by_dotted_path_and_index():
    raw = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    out = apply_overrides(raw, {"a.b[1].c": 5, "a.d.e": "x"})
    assert out == {"a": {"b": [{"c": 1}, {"c": 5}], "d": {"e": "x"}}}
    assert raw["a"]["b"][1]["c"] == 2  # the input is not touched
    assert parse_set_options(["x.y=3", "z=[1, 2]", "w=min_max"]) == {"x.y": 3, "z": [1, 2], "w": "min_max"}


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_catalog_from_file(suffix, tmp_path, tiny_path):
    frame = pd.DataFrame({"sku": ["A", "B", "C"], "mean_daily_units": [0.5, 3.0, 1.0], "unit_cost": [2.0, 5.0, 1.0],
                          "price": [3.0, 8.0, 1.5], "shelf_life_days": [0, 5, 0]})
    path = tmp_path / f"skus.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    sc = sim.load_scenario(tiny_path, {"catalog": {"file": str(path)}})
    table = build_catalog(sc.catalog)
    assert list(table.sku) == ["B", "C", "A"]  # fastest first
    assert list(table.shelf_life_days) == [5, 0, 0]
    res = sim.run(sim.with_overrides(sc, {"run.horizon_days": 30}), seed=1)
    assert res.manifest["skus"] == 3


def test_generated_catalog_is_long_tailed_and_has_the_mean(tiny_path):
    sc = sim.load_scenario(tiny_path, {"catalog.skus": 5000, "catalog.mean_daily_units": 0.4})
    rate = build_catalog(sc.catalog).rate
    assert rate.mean() == pytest.approx(0.4)
    top = rate[: len(rate) // 10].sum() / rate.sum()
    assert top > 0.3  # the top 10% of SKUs sell far more than 10% of units


def test_a_variant_extends_its_base_and_applies_its_overrides(tmp_path):
    base = sim.load_scenario(SCENARIOS / "city.yaml")
    pool = sim.load_scenario(SCENARIOS / "city_pool.yaml")
    assert pool.name == "city_pool" and pool.policies.inventory_mode == "pool"
    assert pool.catalog == base.catalog and pool.network.zones == base.network.zones  # everything else inherited
    marked = [n.id for n in pool.network.nodes if n.ship_from_store]  # but the stores it marks to ship from the pool
    assert marked == [f"S{s:02d}" for s in range(1, 31, 3)]
    assert [n.model_copy(update={"ship_from_store": False}) for n in pool.network.nodes] == list(base.network.nodes)
    store_wh = sim.load_scenario(SCENARIOS / "city_forward_warehouses.yaml")
    stores = [n for n in store_wh.network.nodes if n.type == "store"]
    assert all(n.ship_from_store and n.pickers == 3 for n in stores)
    assert [n for n in store_wh.network.nodes if n.type != "store"] == [n for n in base.network.nodes if n.type != "store"]
    # A chain of extends, resolved relative to each file; mappings merge, lists replace.
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text(f"extends: {SCENARIOS / 'tiny.yaml'}\nname: a\nrun: {{horizon_days: 50}}\n")
    (tmp_path / "b.yaml").write_text("extends: sub/a.yaml\nname: b\noverrides: {'network.nodes[type=store].pickers': 2}\n")
    b = sim.load_scenario(tmp_path / "b.yaml")
    assert (b.name, b.run.horizon_days, b.run.warmup_days) == ("b", 50, 20)
    assert {n.pickers for n in b.network.nodes if n.type == "store"} == {2}


def test_a_variant_naming_another_policy_replaces_the_base_policy_whole(tmp_path):
    """Mappings merge key by key, except where the variant names another policy (or kind, or rule): then
    the base's fields (S of order_up_to) would mean nothing, so the variant's mapping replaces it."""
    (tmp_path / "base.yaml").write_text(f"extends: {SCENARIOS / 'tiny.yaml'}\nname: base\nreplenishment:\n"
                                        "  store: {policy: order_up_to, review_period_days: 7, S: {days_of_cover: 20}}\n")
    (tmp_path / "same.yaml").write_text("extends: base.yaml\nname: same\nreplenishment: {store: {review_period_days: 3}}\n")
    (tmp_path / "other.yaml").write_text("extends: base.yaml\nname: other\n"
                                         "replenishment: {store: {policy: forecast_order_up_to, service_level: 0.9}}\n")
    same = sim.load_scenario(tmp_path / "same.yaml").replenishment.store
    assert (same.policy, same.review_period_days, same.S.days_of_cover) == ("order_up_to", 3, 20)
    other = sim.load_scenario(tmp_path / "other.yaml").replenishment.store
    assert (other.policy, other.review_period_days, other.service_level) == ("forecast_order_up_to", 1, 0.9)


@pytest.mark.parametrize("text, expected", [
    ("extends: missing.yaml\nname: x\n", "extends: no such file"),
    ("extends: loop.yaml\nname: x\n", "extends itself"),
    ("extends: [1]\nname: x\n", "extends: must be a file name"),
    ("extends: ../tiny.yaml\noverrides: [1]\n", "overrides: must be a mapping"),
    ("extends: ../tiny.yaml\noverrides: {'network.nodes[type=depot].pickers': 2}\n", "no item of network.nodes has type=depot"),
])
def test_bad_extends_is_reported(tmp_path, text, expected):
    (tmp_path / "tiny.yaml").write_text((SCENARIOS / "tiny.yaml").read_text())
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "loop.yaml").write_text(text)
    with pytest.raises(sim.ScenarioError, match=re.escape(expected)):
        sim.load_scenario(tmp_path / "v" / "loop.yaml")


def test_set_options_split_at_the_first_equals_outside_a_selector():
    """``--set 'network.nodes[type=store].pickers=2'`` names the path with its selector, not ``network.nodes[type``."""
    assert parse_set_options(["network.nodes[type=store].pickers=2", "demand.weekday=[1, 1]"]) == {
        "network.nodes[type=store].pickers": 2, "demand.weekday": [1, 1]}
    sc = sim.load_scenario("scenarios/tiny.yaml", parse_set_options(["network.nodes[type=store].pickers=2"]))
    assert {n.pickers for n in sc.network.nodes if n.type == "store"} == {2}


def test_a_field_is_settable_by_its_path_where_the_file_wrote_its_section_as_one_word(city_path):
    """city.yaml writes ``transfers: none``; setting one field of the section keeps the word as the field it stands
    for (``rule``), as do a level written as a number (``S: 5`` is ``{units: 5}``) and a bare last-mile rate."""
    sc = sim.load_scenario(city_path, {"policies.transfers.rule": "rebalance", "policies.transfers.period_days": 3,
                                       "policies.allocation.rule": "first_come"})
    assert (sc.policies.transfers.rule, sc.policies.transfers.period_days, sc.policies.allocation.rule) == ("rebalance", 3, "first_come")
    with pytest.raises(sim.ScenarioError, match=r"policies.transfers.period_days: means nothing with rule none"):
        sim.load_scenario(city_path, {"policies.transfers.period_days": 3})
    sc = sim.load_scenario(city_path, {"replenishment.store": {"policy": "order_up_to", "S": 5}, "replenishment.store.S.units": 9,
                                       "costs.last_mile_by_origin.store.instant.per_km": 2.0})
    assert sc.replenishment.store.S.units == 9
    assert (sc.costs.last_mile_rate("store", "instant").fixed, sc.costs.last_mile_rate("store", "instant").per_km) == (5.0, 2.0)
    with pytest.raises(sim.ScenarioError, match=r"replenishment\.store\.order_up_to\.S: give exactly one of"):
        sim.load_scenario(city_path, {"replenishment.store": {"policy": "order_up_to", "S": 5}, "replenishment.store.S.days_of_cover": 7})


def test_a_scenario_file_read_twice_gives_two_values_each_its_own():
    """YAML is parsed once per text and process (a ladder loads the same files hundreds of times); every load gets
    its own copy, since loading writes into what it read (resolved file paths, merged bases)."""
    from simulation.scenario.yaml_safe import load_yaml

    text = "network: {stores: [{id: S01, capacity_per_hour: 5}]}\nlist: &a [1, 2]\nsame: *a\n"
    first = load_yaml(text)
    first["network"]["stores"][0]["capacity_per_hour"] = -5
    first["list"].append(3)
    second = load_yaml(text)
    assert second["network"]["stores"][0]["capacity_per_hour"] == 5 and second["list"] == [1, 2]
    assert second["same"] is second["list"]  # an alias stays one value within a copy, as YAML means it
    text = (SCENARIOS / "city.yaml").read_text()
    assert load_yaml(text) == load_yaml(text) and load_yaml(text) is not load_yaml(text)
