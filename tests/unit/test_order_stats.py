"""The streaming order KPIs (orders summed as they settle) against a plain pandas computation over
every order of the same run, and the bottom-k order sample."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.metrics.order_stats import BINS_PER_HOUR, OrderStats
from tests.conftest import SCENARIOS

TINY = SCENARIOS / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny_pool():
    # A sample larger than the run keeps every order, so the sample is the whole order book.
    return sim.run(sim.load_scenario(TINY, {"policies.inventory_mode": "pool", "run.order_sample": 10**6}), seed=5)


def pandas_delivery_kpis(orders: pd.DataFrame, warmup: int) -> dict:
    """The delivery KPIs as the engine computed them before issue 6, from the full order table."""
    resolved = orders[(orders.created_day >= warmup) & (orders.open_lines == 0)]
    shipped = resolved.shipments > 0
    resolved = resolved.assign(
        on_time=((resolved.lost_lines == 0) & (resolved.delivery_hours <= resolved.promise_hours + 1e-9)).astype(float),
        split=np.where(shipped, resolved.shipments > 1, np.nan),
        within_sla=np.where(shipped, resolved.dispatch_hours <= resolved.sla_hours + 1e-9, np.nan),
        no_stock=(resolved.record_failures > 0).astype(float))
    out = {}
    for keys in (["channel", "node_type"], ["channel"], ["node_type"], []):
        groups = resolved.groupby(keys, observed=True) if keys else [((), resolved)]
        for key, g in groups:
            labels = dict(zip(keys, key, strict=True))
            c, t = str(labels.get("channel", "all")), str(labels.get("node_type", "all"))
            out[("on_time_rate", c, t)] = g.on_time.mean()
            out[("no_stock_rate", c, t)] = g.no_stock.mean()
            if g.split.notna().any():
                out[("split_rate", c, t)] = g.split.mean()
                out[("dispatch_within_sla", c, t)] = g.within_sla.mean()
            hours = g.delivery_hours.dropna()
            out[("delivery_hours_mean", c, t)] = hours.mean()
            for q in (50, 90, 95):
                out[(f"delivery_hours_p{q}", c, t)] = hours.quantile(q / 100)
    return out


def test_streamed_delivery_kpis_equal_a_pandas_pass_over_every_order(tiny_pool):
    orders, warmup = tiny_pool.orders, tiny_pool.manifest["warmup_days"]
    assert len(orders) == tiny_pool.manifest["online_orders"] > 5000
    expected = pandas_delivery_kpis(orders, warmup)
    got = {(m, c, t): v for m, c, t, v in tiny_pool.kpis.itertuples(index=False) if (m, c, t) in expected}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        # Quantiles come from one-minute bins (each order statistic read at its bin's middle).
        tolerance = 0.5 / BINS_PER_HOUR + 1e-9 if "_p" in key[0] else 1e-9 * max(1.0, abs(value))
        assert abs(got[key] - value) <= tolerance, (key, got[key], value)


def test_a_shocks_delivery_kpis_are_its_zones_orders_while_it_lasts(tiny_pool):
    """tiny.yaml's rainstorm (zone Z3, days 90-91): on-time rate and delivery percentiles over exactly the
    orders Z3 placed on those days, per channel and together (node type ``shock:rainstorm``)."""
    orders = tiny_pool.orders
    during = orders[(orders.zone == "Z3") & orders.created_day.between(90, 91)]
    assert len(during) > 20
    expected = {k: v for k, v in pandas_delivery_kpis(during.assign(node_type="x"), tiny_pool.manifest["warmup_days"]).items()
                if k[2] == "all" and k[0] in ("on_time_rate", "delivery_hours_mean", "delivery_hours_p50", "delivery_hours_p95")}
    got = {(m, c): v for m, c, t, v in tiny_pool.kpis.itertuples(index=False) if t == "shock:rainstorm"}
    assert {(m, c) for m, c, _ in expected} <= got.keys()
    for (m, c, _), value in expected.items():
        tolerance = 0.5 / BINS_PER_HOUR + 1e-9 if "_p" in m else 1e-9 * max(1.0, abs(value))
        assert abs(got[(m, c)] - value) <= tolerance, (m, c, got[(m, c)], value)


def test_streamed_fill_counts_equal_the_order_table(tiny_pool):
    orders = tiny_pool.orders[tiny_pool.orders.created_day >= tiny_pool.manifest["warmup_days"]]
    for channel, g in orders.groupby("channel", observed=True):
        assert tiny_pool.kpi("orders", str(channel)) == len(g)
        assert tiny_pool.kpi("fill_rate_units", str(channel)) == pytest.approx(g.units_first.sum() / g.units.sum(), rel=1e-12)
        assert tiny_pool.kpi("fill_rate_orders", str(channel)) == pytest.approx((g.lines_first == g.lines).mean(), rel=1e-12)


def test_cost_per_order_is_picking_plus_last_mile_over_the_order_table(tiny_pool):
    """cost_per_order = (fulfilment cost + its shipments' last-mile cost) / orders, per channel and overall."""
    orders = tiny_pool.orders[tiny_pool.orders.created_day >= tiny_pool.manifest["warmup_days"]]
    cost = orders.fulfilment_cost + orders.last_mile_cost
    assert tiny_pool.kpi("cost_per_order") == pytest.approx(cost.sum() / len(orders), rel=1e-12)
    for channel, g in cost.groupby(orders.channel, observed=True):
        assert tiny_pool.kpi("cost_per_order", str(channel)) == pytest.approx(g.mean(), rel=1e-12)
    fulfilment_and_last_mile = sum(tiny_pool.kpi(m, c) for m in ("cost_fulfilment", "cost_transport")
                                   for c in ("bopis", "home_delivery", "instant"))
    assert fulfilment_and_last_mile == pytest.approx(cost.sum(), rel=1e-12)

def test_order_sample_is_a_uniform_reproducible_subset(tiny_path):
    sc = sim.load_scenario(tiny_path, {"run.order_sample": 500})
    full = sim.run(sim.load_scenario(tiny_path, {"run.order_sample": 10**6}), seed=5).orders.set_index("order_id")
    a, b = sim.run(sc, seed=5), sim.run(sc, seed=5)
    assert len(a.orders) == 500 and a.orders.order_id.is_monotonic_increasing
    pd.testing.assert_frame_equal(a.orders, b.orders)
    kept = a.orders.set_index("order_id")
    pd.testing.assert_frame_equal(kept, full.loc[kept.index], check_categorical=False)
    # Uniform over the run: the kept ids' mean rank is within 4 standard errors of the middle.
    n = len(full)
    rank = full.index.get_indexer(kept.index)
    assert abs(rank.mean() - (n - 1) / 2) < 4 * n / np.sqrt(12 * 500)


def test_quantile_reads_past_the_histogram_exactly():
    class World:  # the fields OrderStats reads
        node_type = np.array([0])
        zone_promise = np.zeros((1, 3))
        channel_from_opening = np.zeros(3, bool)
        channel_sla = np.zeros(3)
        zone_ids = ["Z"]
        calendar = SimpleNamespace(shocks=[])

    stats = OrderStats(World(), warmup=0, sample_size=0, rng=np.random.default_rng(0))
    hours = np.array([1.0, 2.0, 1000.0, np.inf])
    n = hours.size
    stats.orders_settled({"zone": np.zeros(n, np.int64), "channel": np.zeros(n, np.int64), "node": np.zeros(n, np.int64),
               "created_hour": np.zeros(n), "delivered_hour": hours, "dispatch_hour": np.ones(n),
               "units": np.ones(n, np.int64), "units_first": np.ones(n, np.int64), "lines": np.ones(n, np.int64),
               "lines_first": np.ones(n, np.int64), "lost_units": np.zeros(n, np.int64), "lost_lines": np.zeros(n, np.int64),
               "open_lines": np.zeros(n, np.int64), "record_failures": np.zeros(n, np.int64),
               "shipments": np.ones(n, np.int64), "fulfilment_cost": np.zeros(n), "last_mile_cost": np.zeros(n)}, first_id=0)
    cells = np.array([0])
    assert stats.quantile(cells, 0.0) == pytest.approx(1.0 + 0.5 / BINS_PER_HOUR)
    assert stats.quantile(cells, 2 / 3) == 1000.0
    assert stats.quantile(cells, 1.0) == np.inf
    assert stats.quantile(cells, 0.5) == pytest.approx((2.0 + 0.5 / BINS_PER_HOUR + 1000.0) / 2)
