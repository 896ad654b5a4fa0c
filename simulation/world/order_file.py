"""An online order log read in batches (a retail year is a hundred million lines: streamed, never held whole),
checked as it comes with row numbers that run on across batches: known zones, channels and SKUs, whole
units of at least 1, hours of day, days in order with none missing, an order's lines consecutive and
agreeing on its zone, channel and time, and no order id coming back after other orders. Each batch comes
as codes (order number from 0, day from 0, zone, channel and SKU as positions); ``read_orders`` gathers
them into one checked :class:`History` for a replay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.scenario import ONLINE_CHANNELS
from simulation.world.history_files import ORDER_KEY, History, _codes, _Problems, _whole, _written
from simulation.world.sales_file import _raw_batches, collect_ids

ORDER_TEXT_COLUMNS = ("zone", "channel", "sku", "time", "date")


class OrderFile:
    """An order log to stream: ``batches()`` checks and yields ``order, day, hour, zone, channel, sku, units``;
    after a full pass ``days``, ``first_date`` and ``orders`` are known."""

    def __init__(self, path: str | Path, field: str = "orders", zones=None, skus=None):
        self.path, self.field = Path(path), field
        found = collect_ids(self.path, field, ("zone", "sku")) if zones is None or skus is None else {}
        self.zones = list(zones) if zones is not None else found["zone"]
        self.skus = list(skus) if skus is not None else found["sku"]
        self.days, self.first_date, self.orders, self.rows = 0, None, 0, 0

    def _time(self, frame: pd.DataFrame, problems: _Problems, offset: int) -> tuple[np.ndarray, np.ndarray]:
        """Each row's day (from the file's first) and hour of day."""
        if "time" in frame.columns:
            stamps = pd.to_datetime(frame["time"].astype(str), errors="coerce")
            problems.at(np.flatnonzero(stamps.isna().to_numpy()), "time", "must be an ISO date and time", frame["time"].to_numpy(),
                        offset)
            if self._origin is None:
                self._origin = stamps.dropna().iloc[0].normalize() if stamps.notna().any() else pd.Timestamp("2000-01-03")
                self.first_date = self._origin.date()
            since = (stamps - self._origin).dt.total_seconds().fillna(0).to_numpy() / 3600.0
            day = np.floor(since / 24.0).astype(np.int64)
            return day, since - 24.0 * day
        if "date" in frame.columns:
            dates = pd.to_datetime(frame["date"].astype(str), errors="coerce", format="ISO8601")
            problems.at(np.flatnonzero(dates.isna().to_numpy()), "date", "must be an ISO date (YYYY-MM-DD)", frame["date"].to_numpy(),
                        offset)
            if self._origin is None:
                self._origin = dates.dropna().iloc[0] if dates.notna().any() else pd.Timestamp("2000-01-03")
                self.first_date = self._origin.date()
            day = (dates - self._origin).dt.days.fillna(0).to_numpy(np.int64)
        else:
            raw = _whole(frame, "day", 0, problems, offset)
            if self._origin is None:
                self._origin = int(raw[0]) if raw.size else 0
            day = raw - self._origin
        if "hour" not in frame.columns:
            problems.add("needs an 'hour' column (hour of day, 0 to 24) beside 'day' or 'date', or a 'time' column")
            return day, np.zeros(day.size)
        hour = pd.to_numeric(frame["hour"], errors="coerce").to_numpy(float)
        problems.at(np.flatnonzero(~((hour >= 0) & (hour < 24))), "hour", "must be an hour of day in [0, 24)",
                    frame["hour"].to_numpy(), offset)
        return day, hour

    def batches(self) -> Iterator[pd.DataFrame]:
        problems = _Problems(self.field, self.path)
        zone_index = {z: j for j, z in enumerate(self.zones)}
        sku_index = {s: j for j, s in enumerate(self.skus)}
        channel_index = {c: j for j, c in enumerate(ONLINE_CHANNELS)}
        self._origin = None
        offset, orders, last = 0, 0, None  # last: the previous row's (id, zone, channel, hour, day)
        seen = np.zeros(0, bool)
        starts, start_rows = [], []  # each order's id (hashed) and first row, to find an id that comes back
        for frame in _raw_batches(self.path, self.field, strings=ORDER_TEXT_COLUMNS):
            if offset == 0:
                missing = [c for c in ORDER_KEY if c not in frame.columns]
                if missing:
                    problems.add(f"missing column(s) {', '.join(repr(c) for c in missing)} (an order log has order_id, day and "
                                 "hour or time, zone, channel, sku, units)")
                if not {"time", "day", "date"} & set(frame.columns):
                    problems.add("needs a 'time' column, or 'day' or 'date' with 'hour'")
                problems.raise_any()
            n = len(frame)
            day, hour = self._time(frame, problems, offset)
            zone = _codes(frame["zone"], zone_index, "zone", problems, offset)
            channel = _codes(frame["channel"], channel_index, "channel", problems, offset)
            sku = _codes(frame["sku"], sku_index, "sku", problems, offset)
            units = _whole(frame, "units", 1, problems, offset)
            problems.raise_any()
            ids = frame["order_id"].to_numpy()
            previous = last[0] if last is not None else None
            new = np.r_[last is None or ids[0] != previous, ids[1:] != ids[:-1]] if n else np.zeros(0, bool)
            for column, values in (("zone", zone), ("channel", channel), ("hour", hour), ("day", day)):
                before = np.r_[last[{"zone": 1, "channel": 2, "hour": 3, "day": 4}[column]] if last is not None else values[0],
                               values[:-1]]
                differs = np.flatnonzero(~new & (values != before))
                if differs.size:
                    problems.add(f"row {offset + differs[0] + 1:,} column {column!r}: differs from the order's first line (an "
                                 "order has one zone, channel and time)")
            steps = np.diff(np.r_[last[4] if last is not None else 0, day])
            back = np.flatnonzero(steps < 0)
            if back.size:
                column = "time" if "time" in frame.columns else "date" if "date" in frame.columns else "day"
                problems.add(f"row {offset + back[0] + 1:,} column {column!r}: out of order; sort the file by time")
            problems.raise_any()
            first_rows = np.flatnonzero(new)
            starts.append(pd.util.hash_array(np.asarray(ids[first_rows], dtype=object)) if ids.dtype == object
                          else np.asarray(ids[first_rows]).astype(np.int64))
            start_rows.append(first_rows + offset)
            top = int(day.max()) + 1 if n else 0
            if top > seen.size:
                seen = np.r_[seen, np.zeros(top - seen.size, bool)]
            seen[day] = True
            order = orders + np.cumsum(new) - 1
            orders += int(new.sum())
            if n:
                last = (ids[-1], zone[-1], channel[-1], hour[-1], day[-1])
            offset += n
            yield pd.DataFrame({"order": order, "day": day, "hour": hour, "zone": zone, "channel": channel, "sku": sku,
                                "units": units})
        keys, rows = (np.concatenate(starts), np.concatenate(start_rows)) if starts else (np.zeros(0, np.int64),) * 2
        order = np.argsort(keys, kind="stable")
        again = np.flatnonzero(keys[order[1:]] == keys[order[:-1]])
        if again.size:  # an id that starts a second order: its lines were not together
            row = int(rows[order[again[0] + 1]])
            value = keys[order[again[0] + 1]]
            shown = f"order {_written(value)}'s" if not isinstance(value, np.uint64) else "an order's"
            problems.add(f"row {row + 1:,} column 'order_id': {shown} lines are not together (an order's lines must be "
                         "consecutive rows)")
        self.days, self.orders, self.rows = seen.size, orders, offset
        if not seen.all():
            missing = np.flatnonzero(~seen)
            problems.add(f"no rows for {missing.size} day(s) between the first and the last, first day {missing[0]}")
        problems.raise_any()


def read_orders(path: str | Path, field: str = "orders", zones=None, skus=None) -> History:
    """A whole order log in memory, checked (a replay's): zones and SKUs as categoricals of their ids."""
    source = OrderFile(path, field, zones, skus)
    parts = list(source.batches())
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: np.zeros(0, np.int64) for c in ("order", "day", "hour", "zone", "channel", "sku", "units")})
    out = pd.DataFrame({"order": frame["order"].to_numpy(np.int64), "day": frame["day"].to_numpy(np.int64),
                        "hour": frame["hour"].to_numpy(float),
                        "zone": pd.Categorical.from_codes(frame["zone"].to_numpy(), source.zones),
                        "channel": pd.Categorical.from_codes(frame["channel"].to_numpy(), list(ONLINE_CHANNELS)),
                        "sku": pd.Categorical.from_codes(frame["sku"].to_numpy(), source.skus),
                        "units": frame["units"].to_numpy(np.int64)})
    return History(out, source.days, source.first_date, str(path))
