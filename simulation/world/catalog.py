"""SKU catalog as arrays: generated from a few parameters, or loaded from CSV/Parquet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.scenario import Catalog as CatalogSpec
from simulation.scenario import ScenarioError
from simulation.scenario.vocabulary import VELOCITY_SHARES

FILE_COLUMNS = ("sku", "mean_daily_units", "unit_cost", "price")
LOT_COLUMNS = ("case_pack", "min_order_units", "presentation_units")  # optional file columns; else the catalog's values


def as_written(value) -> str:
    """A cell's value as a person writes it: ``nan``, ``-1``, ``'abc'`` (never ``np.float64(nan)``).

    >>> as_written(np.float64("nan")), as_written(np.int64(-1)), as_written(-1.5), as_written("abc")
    ('nan', '-1', '-1.5', "'abc'")
    """
    value = value.item() if isinstance(value, np.generic) else value
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class SkuTable:
    """One row per SKU, sorted fastest mover first (so 'top share' promotions are a prefix)."""

    sku: np.ndarray               # str ids
    rate: np.ndarray              # mean daily units at demand_scale 1
    overdispersion: np.ndarray    # negative binomial alpha per SKU
    unit_cost: np.ndarray
    price: np.ndarray
    shelf_life_days: np.ndarray   # int; 0 = does not spoil
    case_pack: np.ndarray         # int >= 1: units per case
    min_order_units: np.ndarray   # int: the supplier's minimum order
    presentation_units: np.ndarray  # int: a store's display minimum
    supplier: np.ndarray          # int 0..suppliers-1: the vendor each SKU is bought from
    group: np.ndarray | None = None  # int: each SKU's group, an index into group_names (-1: none; None: no groups)
    group_names: tuple[str, ...] = ()
    return_rate: np.ndarray | None = None  # a file's share of delivered units returned per SKU (nan: the channel's rate)

    @property
    def size(self) -> int:
        return int(self.rate.size)

    @property
    def online_overdispersion(self) -> float:
        """The one overdispersion of online demand. Online orders are drawn per zone and channel with a
        gamma multiplier shared by the zone's SKUs, so one value serves every SKU: SKU k's online units
        then vary as mu_k + alpha mu_k^2 (before basket sizes). This alpha is the mu^2-weighted mean of the
        per-SKU values, so the catalog's summed excess variance sum alpha_k mu_k^2 is kept; planning uses
        the same value for online demand, so the levels it sets are for the demand the engine draws.
        (Walk-in demand is drawn per store and SKU with each SKU's own value.)

        >>> one, none = np.ones(2, int), np.zeros(2, int)
        >>> t = SkuTable(np.array(["a", "b"]), np.array([1.0, 3.0]), np.array([0.9, 0.1]), np.ones(2), np.ones(2), none, one, none, none,
        ...              none)
        >>> round(t.online_overdispersion, 4)  # (0.9 * 1 + 0.1 * 9) / 10
        0.18
        """
        weight = self.rate**2
        return float((self.overdispersion * weight).sum() / weight.sum()) if weight.sum() > 0 else 0.0

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"sku": self.sku, "mean_daily_units": self.rate, "overdispersion": self.overdispersion,
                             "unit_cost": self.unit_cost, "price": self.price, "shelf_life_days": self.shelf_life_days,
                             "case_pack": self.case_pack, "min_order_units": self.min_order_units,
                             "presentation_units": self.presentation_units, "supplier": self.supplier,
                             "group": [self.group_names[g] if g >= 0 else "" for g in self.group] if self.group is not None
                             else [""] * self.size})

    @property
    def velocity_class(self) -> np.ndarray:
        """Each SKU's velocity class, an index into ``VELOCITY_CLASSES`` (A, B, C) by its catalog rate: A the
        fastest SKUs that together make up the first 80% of the catalog's units (the SKU that crosses 80% is
        A), B those that reach 95%, C the rest.

        >>> from simulation.scenario.vocabulary import VELOCITY_CLASSES
        >>> one, none = np.ones(5, int), np.zeros(5, int)
        >>> t = SkuTable(np.array(list("abcde")), np.array([50.0, 30.0, 12.0, 5.0, 3.0]), none * 0.0, one, one, none, one, none,
        ...              none, none)
        >>> [VELOCITY_CLASSES[c] for c in t.velocity_class]   # cumulative shares 50%, 80% | 92%, 97% | 100%
        ['A', 'A', 'B', 'B', 'C']
        """
        order = np.argsort(-self.rate, kind="stable")
        total = self.rate.sum()
        before = (np.cumsum(self.rate[order]) - self.rate[order]) / total if total > 0 else np.zeros(self.size)
        classes = np.empty(self.size, np.int64)
        classes[order] = np.searchsorted(np.asarray(VELOCITY_SHARES), before, side="right")
        return classes

    @property
    def suppliers(self) -> int:
        return int(self.supplier.max()) + 1 if self.size else 1


def build_catalog(spec: CatalogSpec) -> SkuTable:
    table = _load(spec) if spec.file is not None else _generate(spec)
    order = np.argsort(-table.rate, kind="stable")
    arrays = {name: None if getattr(table, name) is None else getattr(table, name)[order]
              for name in SkuTable.__dataclass_fields__ if name not in ("group", "group_names")}
    group = table.group[order] if table.group is not None else np.full(table.size, -1, np.int64)
    return SkuTable(**arrays, group=group, group_names=table.group_names)


def _generate(spec: CatalogSpec) -> SkuTable:
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
    n = spec.skus
    if spec.popularity.kind == "lognormal":
        weight = rng.lognormal(0.0, spec.popularity.sigma, n)
    else:  # Zipf: the k-th best seller sells in proportion to 1 / k^exponent
        weight = 1.0 / np.arange(1, n + 1) ** spec.popularity.exponent
    rate = weight / weight.mean() * spec.mean_daily_units
    cost_cv = spec.unit_cost.cv
    if cost_cv > 0:
        sigma2 = np.log1p(cost_cv**2)
        unit_cost = rng.lognormal(np.log(spec.unit_cost.mean) - sigma2 / 2, np.sqrt(sigma2), n)
    else:
        unit_cost = np.full(n, spec.unit_cost.mean)
    unit_cost = np.round(np.maximum(unit_cost, 0.01), 2)
    perishable = rng.random(n) < spec.perishable_share
    return SkuTable(
        sku=np.array([f"SKU{i:05d}" for i in range(n)]),
        rate=rate,
        overdispersion=np.full(n, spec.overdispersion),
        unit_cost=unit_cost,
        price=np.round(unit_cost / (1 - spec.margin), 2),
        shelf_life_days=np.where(perishable, spec.shelf_life_days, 0).astype(np.int64),
        **{name: np.full(n, getattr(spec, name), np.int64) for name in LOT_COLUMNS},
        supplier=_suppliers(spec, n),
        **_groups(spec, n),
    )


def _groups(spec: CatalogSpec, n: int) -> dict:
    """Each SKU's group: each named group takes its share of SKUs, drawn at random from a stream of its own."""
    group = np.full(n, -1, np.int64)
    order = np.random.default_rng(np.random.SeedSequence([spec.seed, 2])).permutation(n) if spec.groups else None
    start = 0
    for code, share in enumerate(spec.groups.values()):
        size = round(share * n)
        group[order[start:start + size]] = code
        start += size
    return {"group": group, "group_names": tuple(spec.groups)}


def _suppliers(spec: CatalogSpec, n: int) -> np.ndarray:
    """Each SKU's vendor, drawn uniformly from a stream of its own so the rest of the catalog does not change."""
    if spec.suppliers == 1:
        return np.zeros(n, np.int64)
    return np.random.default_rng(np.random.SeedSequence([spec.seed, 1])).integers(0, spec.suppliers, n).astype(np.int64)


def _load(spec: CatalogSpec) -> SkuTable:
    path = Path(spec.file)
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
    except Exception as exc:  # unreadable file: report it against the field, not as a traceback
        raise ScenarioError([f"catalog.file: cannot read {path}: {exc}"]) from None
    problems = [f"catalog.file: missing column {c!r} (needs {', '.join(FILE_COLUMNS)})"
                for c in FILE_COLUMNS if c not in frame.columns]
    if not problems and frame.empty:
        problems.append("catalog.file: has no rows (the catalog is empty)")
    if problems:
        raise ScenarioError(problems)
    ids = frame["sku"].astype(str)
    for sku, rows in ids[ids.duplicated(keep=False)].groupby(ids, sort=False).groups.items():
        problems.append(f"catalog.file: SKU {sku!r} appears in rows {', '.join(str(r + 2) for r in rows)} (each SKU once)")
    numeric = {}
    for column in ("mean_daily_units", "unit_cost", "price", "overdispersion", "shelf_life_days", *LOT_COLUMNS):
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if bad.size:
            problems.append(f"catalog.file: row {bad[0] + 2} column {column!r}: must be a number >= 0, "
                            f"got {as_written(frame[column].iloc[bad[0]])}")
        elif column in LOT_COLUMNS:
            least = 1 if column == "case_pack" else 0
            bad = np.flatnonzero((values != np.round(values)) | (values < least))
            if bad.size:
                problems.append(f"catalog.file: row {bad[0] + 2} column {column!r}: must be a whole number >= {least}, "
                                f"got {as_written(frame[column].iloc[bad[0]])}")
        numeric[column] = values
    return_rate = _return_rates(frame, problems)
    if problems:
        raise ScenarioError(problems)
    n = len(frame)
    return SkuTable(
        sku=frame["sku"].astype(str).to_numpy(),
        rate=numeric["mean_daily_units"],
        overdispersion=numeric.get("overdispersion", np.full(n, spec.overdispersion)),
        unit_cost=numeric["unit_cost"],
        price=numeric["price"],
        shelf_life_days=numeric.get("shelf_life_days", np.zeros(n)).astype(np.int64),
        **{name: numeric.get(name, np.full(n, getattr(spec, name))).astype(np.int64) for name in LOT_COLUMNS},
        supplier=pd.factorize(frame["supplier"].astype(str))[0].astype(np.int64) if "supplier" in frame.columns
        else _suppliers(spec, n),
        **_file_groups(frame),
        return_rate=return_rate,
    )


def _return_rates(frame: pd.DataFrame, problems: list[str]) -> np.ndarray | None:
    """A file's optional return_rate column: per SKU, the share of delivered online units returned, overriding
    the channel's ``returns.<channel>.rate``; a blank cell keeps the channel's rate."""
    if "return_rate" not in frame.columns:
        return None
    column = frame["return_rate"]
    values = pd.to_numeric(column, errors="coerce").to_numpy(float)
    bad = np.flatnonzero((column.notna().to_numpy() & np.isnan(values)) | (values < 0) | (values > 1))
    if bad.size:
        problems.append(f"catalog.file: row {bad[0] + 2} column 'return_rate': must be a share in [0, 1] (or blank), "
                        f"got {as_written(column.iloc[bad[0]])}")
    return values


def _file_groups(frame: pd.DataFrame) -> dict:
    """A file's optional group column: each SKU's group name (empty: none)."""
    if "group" not in frame.columns:
        return {"group": np.full(len(frame), -1, np.int64), "group_names": ()}
    names = frame["group"].fillna("").astype(str).str.strip()
    codes, uniques = pd.factorize(names.where(names != ""), use_na_sentinel=True)
    return {"group": codes.astype(np.int64), "group_names": tuple(str(u) for u in uniques)}
