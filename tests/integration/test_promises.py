"""When an online order is due: hours from the order, from the serving node's opening, or by order-by and
due-by windows (JD's "211"); worked by hand, end to end through the on-time rate, and bad promises refused."""

import numpy as np
import pytest

import simulation as sim
from simulation.scenario import ONLINE_CHANNELS, ScenarioError
from simulation.world.network import compile_world
from simulation.world.promises import order_promise_hours
from tests.conftest import SCENARIOS

BOPIS, HOME = ONLINE_CHANNELS.index("bopis"), ONLINE_CHANNELS.index("home_delivery")
JD_211 = [{"order_by_hour": 11, "due_days": 0, "due_hour": 23}, {"order_by_hour": 23, "due_days": 1, "due_hour": 15}]


def tiny(**channels):
    return sim.load_scenario(SCENARIOS / "tiny.yaml", {f"channels.{k}": v for k, v in channels.items()})


def promises(world, channel, node_id, hours):
    hours = np.asarray(hours, float)
    n = hours.size
    return order_promise_hours(world, np.zeros(n, np.int64), np.full(n, channel), np.full(n, world.node_index[node_id]), hours)


def test_windows_give_the_hours_to_the_due_time_worked_by_hand():
    """Day 3 (hour 72 on): by 11:00 due 23:00 the same day; by 23:00 due 15:00 the next; after 23:00 the
    next day's first window (due 23:00 the next day)."""
    world = compile_world(tiny(home_delivery={"promise_windows": JD_211, "transit_hours": 12}))
    got = promises(world, HOME, "CW", 72 + np.array([0.0, 10.0, 11.0, 11.5, 23.0, 23.5]))
    np.testing.assert_allclose(got, [23.0, 13.0, 12.0, 27.5, 16.0, 23.5])


def test_windows_by_tier_use_the_zone_tier():
    """Zone Z1 is tier 1; a tier-2 table would not apply to it."""
    tables = {1: [{"order_by_hour": 24, "due_days": 1, "due_hour": 22}], 2: JD_211, 3: JD_211}
    world = compile_world(tiny(home_delivery={"promise_windows": tables, "transit_hours": 12}))
    np.testing.assert_allclose(promises(world, HOME, "CW", [9.0, 23.5]), [37.0, 22.5])


def test_the_opening_clock_starts_a_closed_stores_promise_when_it_opens():
    """Store S1 opens 08:00 to 22:00 (tiny's default hours); BOPIS promises 2 hours."""
    world = compile_world(tiny(bopis={"promise_hours": 2, "transit_hours": 0, "unfilled": "backorder", "max_wait_days": 2,
                                      "promise_from": "opening"}))
    np.testing.assert_allclose(promises(world, BOPIS, "S1", [7.0, 8.0, 12.0, 21.9, 22.5]), [3.0, 2.0, 2.0, 2.0, 11.5])


def on_time(scenario, channel):
    result = sim.run(scenario, seed=2)
    kpis = result.kpis.set_index(["metric", "channel", "node_type"])["value"]
    return kpis[("on_time_rate", channel, "all")], result.orders


def test_the_on_time_rate_counts_against_each_orders_own_promise():
    """The same run (same seed, so the same deliveries) measured against a promise from opening: orders
    placed while their store was open keep a 2-hour promise, the others get longer ones, so the on-time
    rate rises, and each sampled order's promise is as the opening clock says."""
    base = {"promise_hours": 2, "transit_hours": 0, "unfilled": "backorder", "max_wait_days": 2}
    by_order, _ = on_time(tiny(bopis=base), "bopis")
    by_opening, orders = on_time(tiny(bopis={**base, "promise_from": "opening"}), "bopis")
    assert by_opening > by_order
    mine = orders[orders.channel == "bopis"]
    of_day = mine.created_hour % 24
    open_then = (of_day >= 8) & (of_day < 22)
    assert open_then.any() and (~open_then).any()
    assert (mine.promise_hours[open_then] == 2).all() and (mine.promise_hours[~open_then] > 2).all()
    late = mine.delivery_hours > mine.promise_hours + 1e-9
    assert (~late & ~open_then).any()  # night orders can be on time now


@pytest.mark.parametrize(("channel", "message"), [
    ({"promise_windows": [{"order_by_hour": 20, "due_days": 1, "due_hour": 12}, {"order_by_hour": 11, "due_days": 0, "due_hour": 23}]},
     "channels.home_delivery.promise_windows: order_by_hour: must increase"),
    ({"promise_windows": [{"order_by_hour": 20, "due_days": 0, "due_hour": 18}]}, "would be due before it was placed"),
    ({"promise_windows": JD_211, "promise_hours": 24}, "give promise_hours or promise_windows, not both"),
    ({"promise_windows": JD_211, "promise_from": "opening"}, "promise_from: 'opening' means nothing with promise_windows"),
    ({"promise_windows": {1: JD_211}}, "channels.home_delivery.promise_windows: no value for tier 2"),
    ({"promise_from": "noon"}, "channels.home_delivery.promise_from"),
])
def test_bad_promises_name_the_field(channel, message):
    with pytest.raises(ScenarioError, match=message):
        tiny(home_delivery=channel)
