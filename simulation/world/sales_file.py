"""A sales history read in batches (a retail year is hundreds of millions of rows: it is streamed, never
held whole), each batch checked as it comes with row numbers that run on across batches: whole units,
known channels (and, given a scenario, known stores and SKUs), days in order with none missing, and no
(day, location, SKU, channel) twice. Each batch comes as integer codes (day from 0, store and SKU as
positions in the id lists); ``read_sales`` gathers them into one checked :class:`History` for what fits
in memory (a replay, a city)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.scenario import CHANNELS, DataError
from simulation.world.history_files import SALES_KEY, History, _codes, _Problems, _whole, _written

BATCH_ROWS = 1 << 22
SALES_TEXT_COLUMNS = ("location", "sku", "channel", "date")


def _raw_batches(path: Path, field: str, columns: list[str] | None = None,
                 strings: tuple[str, ...] = SALES_TEXT_COLUMNS) -> Iterator[pd.DataFrame]:
    """The file's rows in batches of about ``BATCH_ROWS``, ``strings`` columns dictionary-encoded (CSV: every
    other column as text, so numbers are parsed, and refused, row by row in our words)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            names = pq.read_schema(path).names
            source = pq.ParquetFile(path, read_dictionary=[c for c in strings if c in names])
            batches = source.iter_batches(BATCH_ROWS, columns=[c for c in columns if c in names] if columns else None)
        else:
            head = pcsv.open_csv(path).schema.names
            types = {c: pa.dictionary(pa.int32(), pa.string()) if c in strings else pa.string() for c in head}
            keep = [c for c in columns if c in head] if columns else None
            convert = pcsv.ConvertOptions(column_types=types, strings_can_be_null=False, include_columns=keep)
            batches = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=64 << 20), convert_options=convert)
        for batch in batches:
            yield batch.to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError([f"{field}: cannot read {path}: {exc}"]) from None


def _as_written(day: int, first, raw_day) -> str:
    """A day counted from the file's first as the file writes it: its own day number, or the date."""
    return str(int(day) + first) if raw_day is not None else str((first + pd.Timedelta(days=int(day))).date())


def collect_ids(path: Path, field: str, columns: tuple[str, ...]) -> dict[str, list[str]]:
    """The distinct ids of some columns, sorted: a light pass reading only those columns."""
    ids: dict[str, set] = {c: set() for c in columns}
    for frame in _raw_batches(path, field, list(columns)):
        for column in columns:
            if column in frame:
                ids[column] |= {str(c) for c in frame[column].astype("category").cat.categories}
    return {c: sorted(v) for c, v in ids.items()}


class SalesFile:
    """A sales file to stream: ``batches()`` checks and yields ``day, store, sku, units, walk_in, on_hand``
    (codes into ``locations`` and ``skus``); after a full pass ``days`` and ``first_date`` are known."""

    def __init__(self, path: str | Path, field: str = "sales", locations=None, skus=None):
        self.path, self.field = Path(path), field
        if locations is not None and skus is not None:
            self.locations, self.skus = list(locations), list(skus)
        else:  # a first, light pass over the two id columns
            found = collect_ids(self.path, field, ("location", "sku"))
            self.locations, self.skus = found["location"], found["sku"]
        self.has_on_hand = False
        self.days, self.first_date, self.rows = 0, None, 0

    def batches(self) -> Iterator[pd.DataFrame]:
        problems = _Problems(self.field, self.path)
        store_index = {s: j for j, s in enumerate(self.locations)}
        sku_index = {s: j for j, s in enumerate(self.skus)}
        channel_index = {c: j for j, c in enumerate(CHANNELS)}
        offset, last_day, first = 0, -1, None
        seen = np.zeros(0, bool)
        open_keys, open_rows = np.zeros(0, np.int64), np.zeros(0, np.int64)  # the last day's keys, across batches
        for frame in _raw_batches(self.path, self.field):
            if offset == 0:
                missing = [c for c in SALES_KEY if c not in frame.columns]
                if missing:
                    problems.add(f"missing column(s) {', '.join(repr(c) for c in missing)} (a sales history has day or date, "
                                 f"{', '.join(SALES_KEY)}, optional channel and on_hand)")
                if "day" not in frame.columns and "date" not in frame.columns:
                    problems.add("needs a 'day' (integer) or 'date' (ISO) column")
                problems.raise_any()
                self.has_on_hand = "on_hand" in frame.columns
            n = len(frame)
            raw_day = None
            if "date" in frame.columns:
                dates = pd.to_datetime(frame["date"].astype(str), errors="coerce", format="ISO8601")
                problems.at(np.flatnonzero(dates.isna().to_numpy()), "date", "must be an ISO date (YYYY-MM-DD)",
                            frame["date"].to_numpy(), offset)
                first = first if first is not None else (dates.dropna().iloc[0] if dates.notna().any() else pd.Timestamp("2000-01-03"))
                day = (dates - first).dt.days.fillna(0).to_numpy(np.int64)
                self.first_date = first.date()
            else:
                raw_day = _whole(frame, "day", 0, problems, offset)
                first = first if first is not None else (int(raw_day[0]) if n else 0)
                day = raw_day - first
            units = _whole(frame, "units", 0, problems, offset)
            on_hand = _whole(frame, "on_hand", 0, problems, offset) if self.has_on_hand else None
            store = _codes(frame["location"], store_index, "location", problems, offset)
            sku = _codes(frame["sku"], sku_index, "sku", problems, offset)
            channel = _codes(frame["channel"], channel_index, "channel", problems, offset) if "channel" in frame.columns \
                else np.zeros(n, np.int64)
            problems.raise_any()
            steps = np.diff(np.r_[last_day, day]) if n else np.zeros(0, np.int64)
            back = np.flatnonzero(steps < 0)
            if back.size:
                r = back[0]
                before = last_day if r == 0 else day[r - 1]
                column = "date" if raw_day is None else "day"
                problems.add(f"row {offset + r + 1:,} column {column!r}: out of order ({column} {_as_written(day[r], first, raw_day)} "
                             f"after {column} {_as_written(before, first, raw_day)}); sort the file by date")
                problems.raise_any()
            top = int(day.max()) + 1 if n else 0
            if top > seen.size:
                seen = np.r_[seen, np.zeros(top - seen.size, bool)]
            seen[day] = True
            key = ((day * len(self.locations) + store) * len(self.skus) + sku) * len(CHANNELS) + channel
            rows = np.arange(offset, offset + n)
            keys, where = np.r_[open_keys, key], np.r_[open_rows, rows]
            order = np.argsort(keys, kind="stable")
            hit = np.flatnonzero(keys[order[1:]] == keys[order[:-1]])
            if hit.size:
                a, b = sorted((where[order[hit[0]]], where[order[hit[0] + 1]]))
                j = b - offset
                problems.add(f"rows {a + 1:,} and {b + 1:,} repeat (day, location, sku, channel) = ({day[j]}, "
                             f"{_written(self.locations[store[j]])}, {_written(self.skus[sku[j]])}, {_written(CHANNELS[channel[j]])}) "
                             f"({hit.size:,} repeated row(s) in all)")
                problems.raise_any()
            if n:
                tail = day == day[-1]
                carry = (open_keys.size and day[0] == day[-1])
                open_keys = np.r_[open_keys, key[tail]] if carry else key[tail]
                open_rows = np.r_[open_rows, rows[tail]] if carry else rows[tail]
                last_day = int(day[-1])
            out = pd.DataFrame({"day": day, "store": store, "sku": sku, "units": units, "channel": channel, "walk_in": channel == 0})
            if on_hand is not None:
                out["on_hand"] = on_hand
            offset += n
            yield out
        self.days, self.rows = seen.size, offset
        if not seen.all():
            missing = np.flatnonzero(~seen)
            problems.add(f"no rows for {missing.size} day(s) between the first and the last, first day {missing[0]} "
                         "(a gap: a day with no sales at all is a day the data is missing)")
            problems.raise_any()


def read_sales(path: str | Path, field: str = "sales", locations=None, skus=None) -> History:
    """A whole sales history in memory, checked; ``locations`` and ``skus`` (ids a scenario has), when given,
    are the only ones allowed."""
    source = SalesFile(path, field, locations, skus)
    parts = list(source.batches())
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: np.zeros(0, np.int64) for c in ("day", "store", "sku", "units", "channel", "on_hand")})
    out = pd.DataFrame({"day": frame["day"].to_numpy(np.int64),
                        "location": pd.Categorical.from_codes(frame["store"].to_numpy(), source.locations),
                        "sku": pd.Categorical.from_codes(frame["sku"].to_numpy(), source.skus),
                        "units": frame["units"].to_numpy(np.int64),
                        "channel": pd.Categorical.from_codes(frame["channel"].to_numpy(), list(CHANNELS))})
    if source.has_on_hand:
        out["on_hand"] = frame["on_hand"].to_numpy(np.int64)
    return History(out, source.days, source.first_date, str(path))
