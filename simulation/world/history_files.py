"""An analyst's history as the engine reads it: a sales history (units per location, SKU and day;
``sales_file`` streams it) and an online order log (one row per order line; ``order_file`` streams it),
from CSV or Parquet, checked row by row; here, what the two share, and a store-mix table.

Sales: ``day`` (integer; day 0 is a Monday, 1 January) or ``date`` (ISO), ``location``, ``sku``, ``units``,
optional ``channel`` (default walk_in) and ``on_hand`` (end-of-day stock: a day that ends at 0 may have
turned customers away, so its sales are a lower bound of demand). Orders: ``order_id``, ``day`` and
``hour`` (hour of day, fractional) or ``time`` (ISO datetime), ``zone``, ``channel``, ``sku``, ``units``;
an order's lines are consecutive rows (the checked frame numbers them 0, 1, ... in column ``order``).
Every problem names the file, the row (data rows count from 1) and the column; nothing is dropped
silently. Files are read with pyarrow, strings dictionary-encoded (a city's 22 M rows are a few hundred
MB, not gigabytes of Python strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.scenario import DataError
from simulation.world.calendar import month_of

SALES_KEY = ("location", "sku", "units")
ORDER_KEY = ("order_id", "zone", "channel", "sku", "units")
MAX_SHOWN = 8  # problems listed per file (the count of the rest is given)


@dataclass(frozen=True)
class History:
    """A checked history held in memory (a replay's): ``frame`` with a ``day`` column counted from its first
    day (0), and the calendar of those days (``first_date`` when the file had dates; else day 0 is a Monday,
    1 January)."""

    frame: pd.DataFrame
    days: int
    first_date: date | None = None
    path: str = ""


def day_calendar(days: int, first_date: date | None) -> tuple[np.ndarray, np.ndarray]:
    """Weekday (Monday 0) and month (January 0) of each day of a history starting at ``first_date`` (None:
    day 0 is a Monday, 1 January, and years have 365 days, as the engine's calendar).

    >>> [a.tolist() for a in day_calendar(3, date(2024, 2, 28))]  # Wednesday 28 February, a leap year
    [[2, 3, 4], [1, 1, 2]]
    """
    if first_date is None:
        return np.arange(days) % 7, np.array([month_of(d) for d in range(days)], np.int64)
    dates = pd.date_range(first_date, periods=days, freq="D")
    return dates.day_of_week.to_numpy().astype(np.int64), dates.month.to_numpy().astype(np.int64) - 1


def _read(path: Path, field: str, strings: tuple[str, ...]) -> pd.DataFrame:
    """The file as a DataFrame, its string columns categorical (dictionary-encoded)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            present = set(pq.read_schema(path).names)
            table = pq.read_table(path, read_dictionary=[c for c in strings if c in present])
        else:
            table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(strings_can_be_null=False))
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError([f"{field}: cannot read {path}: {exc}"]) from None
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if name in strings:
            column = column.cast(pa.string()).dictionary_encode() if not pa.types.is_dictionary(column.type) else column
        columns[name] = column
    return pa.table(columns).to_pandas()


class _Problems:
    def __init__(self, field: str, path: Path):
        self.field, self.path, self.lines = field, path, []

    def add(self, text: str) -> None:
        self.lines.append(f"{self.field} ({self.path.name}): {text}")

    def at(self, rows: np.ndarray, column: str, what: str, values, offset: int = 0) -> None:
        """``what`` is wrong in ``column`` at these row positions (0-based, in a batch starting at row ``offset``);
        name the first and count the rest."""
        if rows.size:
            more = f" (and {rows.size - 1:,} more rows)" if rows.size > 1 else ""
            self.add(f"row {offset + rows[0] + 1:,} column {column!r}: {what}, got {_written(values[rows[0]])}{more}")

    def raise_any(self) -> None:
        if self.lines:
            shown = self.lines[:MAX_SHOWN] + ([f"... and {len(self.lines) - MAX_SHOWN} more"] if len(self.lines) > MAX_SHOWN else [])
            raise DataError(shown)


def _written(value) -> str:
    value = value.item() if isinstance(value, np.generic) else value
    return repr(value) if isinstance(value, str) else str(value)


def _codes(values: pd.Series, index: dict, column: str, problems: _Problems, offset: int = 0) -> np.ndarray:
    """An id column as positions in ``index`` (id -> position), through its categories; ids not in it are
    reported (row, column, the id) and get -1."""
    cats = values.astype("category")
    lookup = np.array([index.get(str(c), -1) for c in cats.cat.categories], np.int64)
    codes = lookup[cats.cat.codes.to_numpy()] if len(cats) else np.zeros(0, np.int64)
    problems.at(np.flatnonzero(codes < 0), column, f"unknown {column}", values.to_numpy(), offset)
    return codes


def _whole(frame: pd.DataFrame, column: str, least: int, problems: _Problems, offset: int = 0) -> np.ndarray:
    """A column of whole numbers >= ``least`` (as int64), each bad cell reported."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < least) | (values != np.round(values)))
    if bad.size:  # the first bad cell as written: a number as a number (CSV cells arrive as text), else the text
        first = int(bad[0])
        shown = values[first] if np.isfinite(values[first]) else raw.iloc[first]
        shown = int(shown) if isinstance(shown, float) and shown == round(shown) else shown
        problems.at(bad, column, f"must be a whole number >= {least}", {first: shown}, offset)
    return np.where(np.isfinite(values), values, 0).astype(np.int64)


def read_store_mix(path: str | Path, stores: list[str], skus, field: str = "demand.store_mix_file") -> np.ndarray:
    """[store, SKU] multipliers from a table of (location, sku, multiplier); pairs not listed are 1."""
    path = Path(path)
    problems = _Problems(field, path)
    frame = _read(path, field, ("location", "sku"))
    missing = [c for c in ("location", "sku", "multiplier") if c not in frame.columns]
    if missing:
        problems.add(f"missing column(s) {', '.join(repr(c) for c in missing)} (a store mix has location, sku, multiplier)")
        problems.raise_any()
    store_index, sku_index = {s: i for i, s in enumerate(stores)}, {str(k): j for j, k in enumerate(skus)}
    store, sku = _codes(frame["location"], store_index, "location", problems), _codes(frame["sku"], sku_index, "sku", problems)
    values = pd.to_numeric(frame["multiplier"], errors="coerce").to_numpy(float)
    problems.at(np.flatnonzero(~np.isfinite(values) | (values < 0)), "multiplier", "must be a number >= 0", frame["multiplier"].to_numpy())
    problems.raise_any()
    out = np.ones((len(stores), len(skus)))
    out[store, sku] = values
    return out
