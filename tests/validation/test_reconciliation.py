"""The KPI tables users see, reconciled with sources computed apart from them.

``kpi_table`` builds its rows from the ledger's running sums and the order statistics' settle sums. Here
each figure is recomputed from somewhere else: the kept order table (every order is kept), a
:class:`~simulation.probe.Probe` (per node and SKU, counted from the engine's daily demand and sales
arrays rather than the walk-in kernel's store totals), the daily series and the engine's cumulative
counters snapshotted at the end of warm-up. Counts must agree exactly, money to rounding.

The customer audit extends the engine's unit conservation from stock to customers: over a whole run,
each online order's units are shipped, lost (never shipped) or still owed (open backorder lines at the
end), and what the engine counts as sold to customers is the walk-in units sold plus the online units
shipped.
"""

from collections import namedtuple

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.experiment.run import simulate
from simulation.metrics.kpis import kpi_table
from simulation.scenario import DAYS_PER_YEAR, ONLINE_CHANNELS
from simulation.validation.probe import Probe

COUNTERS = ("sold", "spoiled", "outflow")
Audited = namedtuple("Audited", "sim ledger stats probe")


class Audit(Probe):
    """A probe that also keeps the engine's cumulative counters as they stood when warm-up ended."""

    def day_closed(self, day, per_node, state) -> None:
        self.state = state
        if day == self.warmup - 1:
            self.at_warmup = {name: getattr(state, name).copy() for name in COUNTERS}

    def since_warmup(self, name: str) -> np.ndarray:
        return getattr(self.state, name) - self.at_warmup[name]


CASES = [(name, horizon, mode) for name, horizon in (("tiny", 120), ("city", 60)) for mode in ("split", "pool")]


def scenario(name, horizon, mode, warmup):
    return sim.load_scenario(f"scenarios/{name}.yaml", {"policies.inventory_mode": mode, "run.horizon_days": horizon,
                                                        "run.warmup_days": warmup, "run.order_sample": 10**7})


@pytest.fixture(scope="module", params=CASES, ids=["-".join(map(str, c)) for c in CASES])
def audited(request):
    name, horizon, mode = request.param
    sc = scenario(name, horizon, mode, warmup=15)
    audit = Audit(sc.run.warmup_days)
    run, ledger, stats = simulate(sc, seed=5, observers=[audit])
    kpis = kpi_table(ledger, stats, run.world).set_index(["metric", "channel", "node_type"])["value"]
    orders = stats.sample_frame()
    assert len(orders) == run.fulfilment.orders.count, "the order table must hold every order for this test to mean anything"
    return Audited(run, ledger, stats, audit), kpis, orders


def kpi(kpis, metric, channel="all", node_type="all"):
    return kpis.loc[(metric, channel, node_type)]


def test_online_kpis_equal_sums_over_every_order(audited):
    run, kpis, orders = audited
    measured = orders[orders.created_day >= run.sim.warmup]
    seen = [c for c in ONLINE_CHANNELS if (measured.channel == c).any()]
    assert len(seen) >= 2
    for c in seen:
        o = measured[measured.channel == c]
        assert kpi(kpis, "demand_units", c) == o.units.sum()
        assert kpi(kpis, "orders", c) == len(o)
        assert kpi(kpis, "lost_sales_units", c) == o.lost_units.sum()
        assert kpi(kpis, "fill_rate_units", c) == pytest.approx(o.units_first.sum() / o.units.sum(), rel=1e-12)
        assert kpi(kpis, "fill_rate_lines", c) == pytest.approx(o.lines_first.sum() / o.lines.sum(), rel=1e-12)
        assert kpi(kpis, "fill_rate_orders", c) == pytest.approx((o.lines_first == o.lines).mean(), rel=1e-12)
        assert kpi(kpis, "cost_fulfilment", c) == pytest.approx(o.fulfilment_cost.sum(), rel=1e-9)
        # an online channel's transport is its last mile: every shipment of every order (here at the zone's rate)
        assert kpi(kpis, "cost_transport", c) == pytest.approx(o.last_mile_cost.sum(), rel=1e-9, abs=1e-9)


def test_walk_in_kpis_equal_the_probes_per_node_and_sku_counts(audited):
    run, kpis, _ = audited
    asked, met = run.probe.demand_by["walk_in"], run.probe.met_by["walk_in"]
    assert asked.sum() > 0
    assert kpi(kpis, "demand_units", "walk_in") == asked.sum()
    assert kpi(kpis, "lost_sales_units", "walk_in") == (asked - met).sum()
    assert kpi(kpis, "fill_rate_units", "walk_in") == pytest.approx(met.sum() / asked.sum(), rel=1e-12)
    lost_margin = ((asked - met) * run.sim.fulfilment.unit_margin[None, :]).sum()
    assert kpi(kpis, "cost_lost_margin", "walk_in") == pytest.approx(lost_margin, rel=1e-9)


def test_all_channel_rows_are_the_demand_weighted_channels(audited):
    """The 'all' fill rate is the demand-weighted mean of the channels' (it comes from summed counts)."""
    _, kpis, _ = audited
    channels = [c for c in ("walk_in", *ONLINE_CHANNELS) if ("demand_units", c, "all") in kpis.index]
    demand = np.array([kpi(kpis, "demand_units", c) for c in channels])
    fill = np.array([kpi(kpis, "fill_rate_units", c) for c in channels])
    assert kpi(kpis, "demand_units") == demand.sum()
    assert kpi(kpis, "fill_rate_units") == pytest.approx((demand * fill).sum() / demand.sum(), rel=1e-12)
    assert kpi(kpis, "lost_sales_units") == sum(kpi(kpis, "lost_sales_units", c) for c in channels)


def test_inventory_and_cost_kpis_equal_the_daily_series_and_engine_counters(audited):
    run, kpis, _ = audited
    daily = run.ledger.daily_frame()
    days = run.sim.horizon - run.sim.warmup
    measured = daily[daily.day >= run.sim.warmup]
    value_per_day = measured[measured.metric == "on_hand_value"].pivot(index="day", columns="node_type", values="value")
    assert len(value_per_day) == days
    cost = run.sim.world.skus.unit_cost
    rate = run.sim.scenario.costs.holding_rate_per_year / DAYS_PER_YEAR
    for t in value_per_day.columns:
        if t.startswith("shock:"):
            continue
        avg = value_per_day[t].mean()
        assert kpi(kpis, "avg_inventory_value", node_type=t) == pytest.approx(avg, rel=1e-9)
        assert kpi(kpis, "cost_holding", node_type=t) == pytest.approx(avg * days * rate, rel=1e-9)
    # The last day's series is the engine's final stock.
    last = daily[(daily.day == run.sim.horizon - 1) & (daily.node_type == "all")].set_index("metric")["value"]
    assert last["on_hand_units"] == run.sim.state.on_hand.sum()
    assert last["on_hand_value"] == pytest.approx((run.sim.state.on_hand * cost).sum(), rel=1e-9)
    # Turns: the network turns over what it sells to customers, a node type what leaves it.
    avg_all = kpi(kpis, "avg_inventory_value")
    sold_value = (run.probe.since_warmup("sold") * cost).sum()
    assert kpi(kpis, "inventory_turns") == pytest.approx(sold_value / days * DAYS_PER_YEAR / avg_all, rel=1e-9)
    assert kpi(kpis, "days_of_inventory") == pytest.approx(avg_all * days / sold_value, rel=1e-9)
    types = run.sim.world.node_type
    for i, t in enumerate(sim.scenario.NODE_TYPES):
        rows = types == i
        if rows.any() and ("inventory_turns", "all", t) in kpis.index:
            out_value = (run.probe.since_warmup("outflow")[rows] * cost).sum()
            avg = kpi(kpis, "avg_inventory_value", node_type=t)
            assert kpi(kpis, "inventory_turns", node_type=t) == pytest.approx(out_value / days * DAYS_PER_YEAR / avg, rel=1e-9)
    assert kpi(kpis, "cost_spoilage") == pytest.approx((run.probe.since_warmup("spoiled") * cost).sum(), rel=1e-9, abs=1e-9)
    parts = ("cost_holding", "cost_transport", "cost_fulfilment", "cost_transfer", "cost_spoilage", "cost_lost_margin")
    assert kpi(kpis, "cost_total") == pytest.approx(sum(kpi(kpis, m) for m in parts if (m, "all", "all") in kpis.index))


@pytest.mark.parametrize("name, horizon, mode", CASES)
def test_customers_get_what_they_asked_for_lose_it_or_are_still_owed(name, horizon, mode):
    """Over a whole run (no warm-up): every online order's units are shipped, lost or still owed, with
    'owed' read from the open backorder lines (which must hold what the stock arrays call backordered);
    shipped is then what is left, at least what shipped at once, and the engine's sold-to-customers
    counter must equal the walk-in units sold plus the online units shipped."""
    probe = Probe(warmup=0)
    run, _, stats = simulate(scenario(name, horizon, mode, warmup=0), seed=8, observers=[probe])
    orders = stats.sample_frame()
    assert len(orders) == run.fulfilment.orders.count
    open_lines = run.fulfilment.backorders
    owed_by_order = pd.Series(open_lines["remaining"], index=open_lines["order"]).groupby(level=0).sum()
    owed = owed_by_order.reindex(orders.order_id, fill_value=0).to_numpy()
    shipped = orders.units.to_numpy() - orders.lost_units.to_numpy() - owed
    assert (shipped >= orders.units_first.to_numpy()).all()  # first-attempt units shipped, later ones too
    assert owed.sum() == run.state.backordered.sum()
    by_channel = pd.DataFrame({"channel": orders.channel, "asked": orders.units, "shipped": shipped,
                               "lost": orders.lost_units, "owed": owed}).groupby("channel", observed=True).sum()
    walk_in_sold = probe.met_by["walk_in"].sum()
    assert run.state.sold.sum() == walk_in_sold + shipped.sum(), by_channel
