"""The catalog section: a generated SKU catalog or a table of per-SKU demand."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.scenario.distributions import MAX_CV, Spec
from simulation.scenario.vocabulary import Share


class Popularity(Spec):
    """How per-SKU demand rates are spread: lognormal (sigma) or Zipf (exponent) around the mean; 0 for
    either makes every SKU sell at the mean (identical SKUs, e.g. independent copies for validation)."""

    kind: Literal["lognormal", "zipf"] = "lognormal"
    sigma: float = Field(1.2, ge=0, le=5)
    exponent: float = Field(0.9, ge=0, le=5)


class CostSpread(Spec):
    mean: float = Field(20.0, gt=0, le=1e7)
    cv: float = Field(0.8, ge=0, le=MAX_CV)


class Catalog(Spec):
    """SKUs: generated from a few parameters, or loaded from ``file`` (CSV or Parquet)."""

    skus: int | None = Field(None, ge=1)
    file: str | None = None
    seed: int = Field(0, ge=0, description="catalog generation seed (fixed apart from the run seed)")
    mean_daily_units: float = Field(1.0, gt=0, le=1e6)
    popularity: Popularity = Popularity()
    overdispersion: float = Field(0.0, ge=0, le=100, description="negative binomial alpha: variance = mean + alpha*mean^2")
    unit_cost: CostSpread = CostSpread()
    margin: float = Field(0.35, ge=0, lt=1, description="gross margin: price = cost / (1 - margin)")
    perishable_share: Share = 0.0
    shelf_life_days: int = Field(7, ge=1, le=120)
    freshest_first_share: Share = Field(0.0, description="share of perishable units leaving a store that shoppers take "
                                        "freshest first (reaching past older units); the rest oldest first")
    # Lot and shelf rules per SKU (a file's columns of the same names override them SKU by SKU).
    case_pack: int = Field(1, ge=1, le=10_000, description="units per case: orders on a lane with order_unit 'case' are whole cases")
    min_order_units: int = Field(0, ge=0, le=1_000_000, description="the supplier's minimum order per SKU (lanes from the supplier)")
    presentation_units: int = Field(0, ge=0, le=10_000, description="a store's display minimum (facings): store levels never below it")
    groups: dict[str, Share] = Field(default_factory=dict, description="named SKU groups (umbrellas, bottled water, ...) "
                                     "and the share of SKUs in each, drawn at random by seed, no SKU in two; a file's group "
                                     "column instead names each SKU's")
    suppliers: int = Field(1, ge=1, le=100_000, description="vendors the SKUs are bought from, each SKU from one (at random, "
                           "fixed by seed; a file's supplier column overrides): lead times on lanes from the supplier are "
                           "drawn per vendor, so one late delivery leaves only that vendor's SKUs short")

    @model_validator(mode="after")
    def _one_source(self) -> Catalog:
        if (self.skus is None) == (self.file is None):
            raise ValueError("give exactly one of 'skus' (generate) or 'file' (load)")
        if sum(self.groups.values()) > 1.0 + 1e-9:
            raise ValueError(f"groups: shares must sum to at most 1 (no SKU in two groups), got {sum(self.groups.values()):g}")
        if self.groups and self.file is not None:
            raise ValueError("groups: a catalog file names each SKU's group in its group column")
        return self
