"""Online returns (``returns`` section, engine/returns.py): the stated rate and delays come out of whole runs,
units are conserved in both inventory modes, split stock keeps a store's online returns off its shelf until
the reverse lane has taken them to the warehouse's online stock, and one pool sells them at the store."""

import math

import numpy as np
import pytest

from simulation.engine import Observer
from simulation.engine.simulation import Simulation
from simulation.engine.state import ConservationError
from simulation.experiment.run import run as run_once
from simulation.experiment.run import simulate
from simulation.metrics.kpis import kpi_table
from simulation.scenario import ONLINE_CHANNELS, STORE_CODE, load_scenario, parse_set_options, with_overrides
from tests.conftest import SCENARIOS

Z = 3.29  # two-sided 99.9%: these checks do not flake


def tiny(*settings):
    return with_overrides(load_scenario(SCENARIOS / "tiny.yaml"), parse_set_options(list(settings)))


class Returns(Observer):
    """Every shipped line's return draws and every movement of the reverse flow, after warm-up."""

    def __init__(self, warmup=0):
        self.warmup, self.drawn, self.moved = warmup, [], []

    def returns_drawn(self, day, lines):
        if day >= self.warmup:
            self.drawn.append((lines.channel.copy(), lines.delivered.copy(), lines.returned.copy(), lines.days_to_return.copy(),
                               lines.sku.copy()))

    def returns_moved(self, day, moved):
        if day >= self.warmup:
            self.moved.append((day, moved.event, moved.rows.copy(), moved.units.copy(), np.asarray(moved.values, float).copy()))

    def lines(self):
        return [np.concatenate(part) for part in zip(*self.drawn, strict=True)]

    def events(self, event):
        """Day, row, units and value of each batch of ``event``, one entry per line."""
        rows = [(np.full(r.size, d), r, u, v) for d, e, r, u, v in self.moved if e == event]
        return tuple(np.concatenate(x) for x in zip(*rows, strict=True))


def run(scenario, seed=1):
    seen = Returns()
    sim = Simulation(scenario, seed, observers=[seen]).execute()
    return sim, seen


def kpi(table, metric, channel="all", node_type="all"):
    row = table[(table.metric == metric) & (table.channel == channel) & (table.node_type == node_type)]
    assert len(row) == 1, (metric, channel, node_type)
    return float(row.value.iloc[0])


@pytest.fixture(scope="module")
def pooled_store_returns():
    sc = tiny("policies.inventory_mode=pool", "run.horizon_days=400",
              "returns={home_delivery: {rate: 0.2, route: mixed, store_share: 0.6, courier_days: 2, inspection_days: 1}, "
              "bopis: {rate: 0.1, route: store, inspection_days: 0}}")
    return run(sc)


def test_the_return_rate_is_the_stated_share_of_delivered_units(pooled_store_returns):
    """Each delivered unit comes back with probability 0.2 (a line's units are drawn together as a
    Binomial): the returned share lies within 3.29 binomial standard errors of it."""
    channel, delivered, returned, _, _ = pooled_store_returns[1].lines()
    home = channel == 1
    n, share = delivered[home].sum(), returned[home].sum() / delivered[home].sum()
    assert n > 20_000
    assert abs(share - 0.2) < Z * math.sqrt(0.2 * 0.8 / n), share
    bopis = channel == 0
    assert abs(returned[bopis].sum() / delivered[bopis].sum() - 0.1) < Z * math.sqrt(0.1 * 0.9 / delivered[bopis].sum())


def test_days_to_return_follow_the_stated_distribution(pooled_store_returns):
    """Gamma, mean 7, cv 0.5 (the default): the unit-weighted mean of the lines' draws within its standard error."""
    _, _, returned, days, _ = pooled_store_returns[1].lines()
    w, x = returned[returned > 0], days[returned > 0]
    mean = (w * x).sum() / w.sum()
    se = 3.5 * math.sqrt((w**2).sum()) / w.sum()
    assert abs(mean - 7.0) < Z * se, (mean, se)


def test_days_to_resellable_are_courier_plus_inspection(pooled_store_returns):
    """Under one pool: a courier return is sellable courier_days + inspection_days after it starts (2 + 1); a
    store return after its inspection, and no sooner than the next day (bopis: inspection 0, so 1)."""
    sim, seen = pooled_store_returns
    _, rows, units, days = seen.events("restocked")
    store = sim.world.node_type[rows] == STORE_CODE
    assert units[~store].sum() > 500 and units[store].sum() > 500
    assert set(days[~store]) == {3.0}
    assert set(days[store]) <= {1.0}  # bopis inspection 0 -> the next day; home delivery 1 day of inspection -> 1


def test_a_pooled_store_sells_returns_where_they_were_returned():
    """Stores that receive no replenishment (base stock 0, nothing on hand, BOPIS lost when short) still sell: the online returns
    customers brought to them, restocked after inspection. Each store's sales are exactly what was restocked
    less what is left."""
    sc = tiny("policies.inventory_mode=pool", "catalog.perishable_share=0", "replenishment.store={policy: base_stock, S: 0}",
              "channels.bopis={promise_hours: 2, transit_hours: 0, unfilled: lost}",
              "returns={home_delivery: {rate: 0.3, route: store}}")
    sim, _ = run(sc)
    st, stores = sim.state, sim.world.store_rows
    assert (st.received[stores] == st.restocked[stores]).all()  # no other stock reached them
    assert st.sold[stores].sum() > 100
    assert (st.outflow[stores] == st.restocked[stores] - st.on_hand[stores]).all()


def test_split_stock_sends_store_returns_over_the_reverse_lane_before_selling_them():
    """Under split stock no store shelf ever holds an online return: the store ships it back (on days that are
    multiples of reverse_lane.every_days) and the warehouse's online stock restocks it lead_time_days later."""
    sc = tiny("policies.inventory_mode=split", "run.horizon_days=300",
              "returns={home_delivery: {rate: 0.2, route: store, inspection_days: 1}, reverse_lane: {every_days: 7, lead_time_days: 2}}")
    sim, seen = run(sc)
    assert sim.state.restocked[sim.world.store_rows].sum() == 0
    online = sim.world.online_rows
    assert sim.state.restocked[online].sum() == sim.state.restocked.sum() > 0
    day, rows, units, _ = seen.events("shipped_back")
    assert units.sum() > 0 and (day % 7 == 0).all() and (sim.world.node_type[rows] == STORE_CODE).all()
    days = seen.events("restocked")[3]
    # inspection 1 day, then up to 6 days waiting for the lane, then 2 on it
    assert days.min() >= 3 and days.max() <= 9
    every_day = tiny("policies.inventory_mode=split", "returns={home_delivery: {rate: 0.2, route: store}, reverse_lane: {every_days: 1}}")
    assert set(run(every_day)[1].events("restocked")[3]) == {3.0}


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_units_are_conserved_with_returns_in_both_modes(mode):
    """The run's own audit passes (initial + supplied + restocked = sold + spoiled + on hand + in transit, and
    returned = pending + restocked + written off per SKU), every term is in play, and the audit fails when
    a unit of either side is lost."""
    sc = tiny(f"policies.inventory_mode={mode}", "returns={home_delivery: {rate: 0.25, route: mixed, store_share: 0.5}, "
              "instant: {rate: 0.1}, bopis: {rate: 0.1, route: store}}")
    sim, _ = run(sc)
    r = sim.returns
    assert r.restocked.sum() > 0 and r.written_off.sum() > 0 and r.pending.size > 0
    assert r.written_off.sum() >= r.returned[sim.state.perishable].sum() - r.restocked[sim.state.perishable].sum()
    assert r.restocked[sim.state.perishable].sum() == 0  # perishables are never resold
    r.restocked[0] += 1
    with pytest.raises(ConservationError, match="returns of SKU 0"):
        sim.check_conservation()
    r.restocked[0] -= 1
    sim.state.restocked[0, 0] += 1
    with pytest.raises(ConservationError, match="restocked"):
        sim.check_conservation()


def test_the_same_customers_return_in_split_and_pool():
    """Return draws are made per order line when the order arrives, from the returns stream: identical under
    both modes (common random numbers), whatever was shipped from where."""
    draws = []
    for mode in ("split", "pool"):
        sim = Simulation(tiny(f"policies.inventory_mode={mode}", "returns={home_delivery: {rate: 0.2}}"), 3)
        draws.append(sim._draw_orders(5).returns)
    assert draws[0].shape[1] == 4 and np.array_equal(draws[0], draws[1])


def test_return_kpis_and_their_cost_in_the_total():
    sc = tiny("returns={home_delivery: {rate: 0.2}}")
    result = run_once(sc, 1)
    kpis, daily, off = result.kpis, result.daily, run_once(tiny(), 1).kpis
    assert abs(kpi(kpis, "return_rate", "home_delivery") - 0.2) < 0.02
    assert kpi(kpis, "days_to_resellable", "home_delivery", "central_warehouse") == 3.0
    cost = kpi(kpis, "cost_returns")
    assert cost > 0 and "return_rate" not in set(off.metric)
    assert kpi(kpis, "returned_units") == kpi(kpis, "returned_units", "home_delivery", "central_warehouse")
    assert "bopis" not in set(kpis[kpis.metric == "returned_units"].channel)  # no returns section, no rows
    parts = kpis[kpis.metric.str.startswith("cost_") & (kpis.channel == "all") & (kpis.node_type == "all")
                 & ~kpis.metric.isin(["cost_total", "cost_per_order"])]
    assert kpi(kpis, "cost_total") == pytest.approx(parts.value.sum())
    in_flow = daily[daily.metric == "returns_in_flow_units"]
    assert in_flow[in_flow.node_type == "all"].value.max() > 0


def test_without_returns_a_run_is_unchanged_by_the_section():
    """A returns section whose channels return nothing leaves every KPI as it was (no stream, no stock moved)."""
    base, zero = run_once(tiny(), 2).kpis, run_once(tiny("returns={home_delivery: {rate: 0.0}}"), 2).kpis
    merged = base.merge(zero, on=["metric", "channel", "node_type"], suffixes=("", "_zero"))
    assert len(merged) == len(base)
    assert np.allclose(merged.value, merged.value_zero)


def test_return_kpis_reconcile_with_the_engines_own_counts():
    """With no warm-up the KPI table's returned, restocked and written-off units are the reverse flow's and the
    stock's own totals, and the daily series' last reverse-flow figure is what is still moving at the end."""
    sc = tiny("run.warmup_days=0", "policies.inventory_mode=pool",
              "returns={home_delivery: {rate: 0.2, route: mixed, store_share: 0.5}, bopis: {rate: 0.1, route: store}}")
    sim, ledger, stats = simulate(sc, 4)
    kpis = kpi_table(ledger, stats, sim.world)
    flow = sim.returns
    assert kpi(kpis, "returned_units") == flow.returned.sum()
    assert kpi(kpis, "restocked_units") == flow.restocked.sum() == sim.state.restocked.sum()
    assert kpi(kpis, "written_off_units") == flow.written_off.sum()
    daily = ledger.daily_frame()
    last = daily[(daily.metric == "returns_in_flow_units") & (daily.node_type == "all")].value.iloc[-1]
    assert last == flow.in_flow().sum() > 0


def test_a_catalog_files_return_rate_overrides_the_channels_per_sku(tmp_path):
    """A catalog file's return_rate column sets each SKU's rate in the channels with returns (blank: the channel's):
    SKUs at 0 never come back, SKUs at 1 always do, the rest at the channel's 0.2 (within a binomial interval); a
    rate outside [0, 1] is refused naming the row."""
    from simulation.scenario import ScenarioError
    from simulation.world.catalog import build_catalog
    frame = build_catalog(tiny().catalog).frame()[["sku", "mean_daily_units", "unit_cost", "price"]]
    frame["return_rate"] = [0.0, 1.0, None] * (len(frame) // 3) + [None] * (len(frame) % 3)
    frame.to_csv(tmp_path / "catalog.csv", index=False)
    sim, seen = run(tiny(f"catalog={{file: {tmp_path / 'catalog.csv'}}}", "returns={home_delivery: {rate: 0.2}}"))
    channel, delivered, returned, _, sku = seen.lines()
    assert returned[channel != ONLINE_CHANNELS.index("home_delivery")].sum() == 0  # the only channel with returns
    home = channel == ONLINE_CHANNELS.index("home_delivery")
    delivered, returned, sku = delivered[home], returned[home], sku[home]
    rate = dict(zip(frame.sku, frame.return_rate, strict=True))
    line_rate = np.array([rate[s] for s in sim.world.skus.sku])[sku]
    never, always, channels = line_rate == 0.0, line_rate == 1.0, np.isnan(line_rate)
    assert delivered[never].sum() > 0 and returned[never].sum() == 0
    assert delivered[always].sum() > 0 and np.array_equal(returned[always], delivered[always])  # every unit comes back
    # The rest at the channel's 0.2: the sum of each line's Binomial(delivered, 0.2) is Binomial(units, 0.2).
    units, back = delivered[channels].sum(), returned[channels].sum()
    z = (back - 0.2 * units) / np.sqrt(units * 0.2 * 0.8)
    assert units > 1000 and abs(z) < 4, f"{back} of {units} units returned at a stated 0.2 (z = {z:.1f})"
    frame.loc[4, "return_rate"] = 1.5
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ScenarioError, match=r"row 6 column 'return_rate': must be a share in \[0, 1\]"):
        run(tiny(f"catalog={{file: {tmp_path / 'bad.csv'}}}", "returns={home_delivery: {rate: 0.2}}"))
