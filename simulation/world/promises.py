"""When each online order is due: a promise in hours from the order (or from its serving node's opening),
or order-by and due-by times of day (``channels.<channel>.promise_windows``, as JD's "211": placed by 11:00,
delivered the same day by 23:00; placed by 23:00, the next day by 15:00)."""

from __future__ import annotations

import numpy as np

from simulation.scenario import ONLINE_CHANNELS
from simulation.scenario.channels import by_tier


def promise_tables(sc, zones) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per zone and online channel: the promise in hours (nan where windows apply) and the windows
    ``[zone, channel, window, (order_by_hour, due_days, due_hour)]`` (nan padded); per channel, whether the
    promise runs from the serving node's opening."""
    channels = [getattr(sc.channels, name) for name in ONLINE_CHANNELS]
    width = max([len(w) for c in channels if c.promise_windows is not None
                 for w in (c.promise_windows.values() if isinstance(c.promise_windows, dict) else [c.promise_windows])] + [1])
    hours = np.full((len(zones), len(channels)), np.nan)
    windows = np.full((len(zones), len(channels), width, 3), np.nan)
    for z, zone in enumerate(zones):
        for c, channel in enumerate(channels):
            if channel.promise_windows is None:
                hours[z, c] = by_tier(channel.promise_hours, zone.tier)
                continue
            for i, w in enumerate(by_tier(channel.promise_windows, zone.tier)):
                windows[z, c, i] = (w.order_by_hour, w.due_days, w.due_hour)
    return hours, windows, np.array([c.promise_from == "opening" for c in channels])


def order_promise_hours(world, zone: np.ndarray, channel: np.ndarray, node: np.ndarray, created_hour: np.ndarray) -> np.ndarray:
    """Hours from placing each order to when it is due (its promise as the customer was given it)."""
    day = np.floor(created_hour / 24.0)
    of_day = created_hour - 24.0 * day
    promise = world.zone_promise[zone, channel].copy()
    opening = world.channel_from_opening[channel] & ~np.isnan(promise)
    if opening.any():  # closed: the clock starts at the next opening
        o, c = world.open_hour[node[opening]], world.close_hour[node[opening]]
        t = of_day[opening]
        promise[opening] += np.where(t < o, o - t, np.where(t >= c, 24.0 - t + o, 0.0))
    by_window = np.isnan(promise)
    if by_window.any():
        table = world.zone_windows[zone[by_window], channel[by_window]]   # [order, window, 3]
        t = of_day[by_window]
        order_by, due_days, due_hour = table[..., 0], table[..., 1], table[..., 2]
        with np.errstate(invalid="ignore"):
            fits = t[:, None] <= order_by
        first = np.argmax(fits, axis=1)
        rows = np.arange(t.size)
        # After the day's last window: the next day's first.
        late = ~fits.any(axis=1)
        first[late] = 0
        due = 24.0 * (due_days[rows, first] + late) + due_hour[rows, first]
        promise[by_window] = due - t
    return promise
