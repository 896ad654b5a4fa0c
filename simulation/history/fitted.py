"""A fit and what it writes: ``catalog.parquet`` (a catalog file: per-SKU rate and overdispersion, with the
base scenario's costs and lot rules where one is given), ``demand.yaml`` (the demand section's fitted
fields, to merge into a scenario), ``scenario.yaml`` (with a base scenario: the base with every fitted
value in place, ready to run), ``fit.json`` and the fit report (``fit.html``, ``figures/``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simulation.experiment.results import atomic_write
from simulation.history.fit import OnlineFit, WalkInFit, fit_online, fit_walk_in
from simulation.scenario import STORE, Scenario
from simulation.world.history_files import History
from simulation.world.network import compile_world
from simulation.world.order_file import OrderFile
from simulation.world.sales_file import SalesFile


@dataclass
class Fit:
    walk_in: WalkInFit
    online: OnlineFit | None
    base: Scenario | None
    sales: SalesFile

    def catalog(self) -> pd.DataFrame:
        """The fitted catalog: with a base scenario, its SKU table (costs, shelf life, lot rules, vendors,
        groups) with the fitted rates and overdispersion in place (a SKU the history never sold gets rate 0)."""
        fitted = self.walk_in.catalog()
        if self.base is None:
            return fitted
        table = compile_world(self.base).skus.frame().drop(columns=["mean_daily_units", "overdispersion"])
        out = table.merge(fitted, on="sku", how="left")
        out["mean_daily_units"] = out["mean_daily_units"].fillna(0.0)
        out["overdispersion"] = out["overdispersion"].fillna(float(np.median(self.walk_in.alpha)))
        return out

    def demand(self) -> dict:
        """The demand section's fitted fields."""
        w = self.walk_in
        out: dict = {"weekday": [round(float(v), 4) for v in w.weekday], "monthly": [round(float(v), 4) for v in w.monthly]}
        if w.mix is not None:  # each store's own mix, as a table beside this file
            out |= {"store_mix_cv": 0.0, "store_mix_file": "store_mix.parquet"}
        if self.online is not None:
            o = self.online
            out["online"] = {"channel_mix": o.channel_mix,
                             "basket_lines_mean": round(max(o.basket_lines_mean, 1.0), 4),
                             "units_per_line_mean": round(max(o.units_per_line_mean, 1.0), 4), "hourly_profile": o.hourly_profile}
        return out

    def overrides(self) -> dict:
        """Dotted-path overrides that put the fitted store and zone scales (and zone channel mixes) into the base scenario."""
        stores = dict(zip(self.walk_in.stores, self.walk_in.scale, strict=True))
        out = {f"network.nodes[id={n}].demand_scale": round(float(s), 5) for n, s in stores.items()}
        if self.online is not None:
            out |= {f"network.zones[id={z}].demand_scale": round(s, 5) for z, s in self.online.zone_scale.items()}
            out |= {f"network.zones[id={z}].channel_mix": mix for z, mix in self.online.zone_mix.items()}
        return out

    def write(self, out: str | Path, base_path: str | None = None) -> list[Path]:
        from simulation.history.fit_report import write_fit_report

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "catalog.parquet", out / "demand.yaml"]
        catalog = self.catalog()
        atomic_write(written[0], lambda tmp: catalog.to_parquet(tmp, index=False))
        w = self.walk_in
        if w.mix is not None:
            k, i = np.indices(w.mix.shape).reshape(2, -1)
            mix = pd.DataFrame({"location": pd.Categorical.from_codes(i, w.stores), "sku": pd.Categorical.from_codes(k, w.skus),
                                "multiplier": w.mix.ravel()})
            written.append(out / "store_mix.parquet")
            atomic_write(written[-1], lambda tmp: mix.to_parquet(tmp, index=False))
        text = f"# Fitted by invsim fit from {self.sales.path}\n" + yaml.safe_dump({"demand": self.demand()}, sort_keys=False)
        atomic_write(written[1], lambda tmp: Path(tmp).write_text(text))
        if self.base is not None and base_path is not None:
            scenario = {"extends": str(Path(base_path).resolve()), "name": f"{self.base.name}_fitted",
                        "description": f"{self.base.name} with its demand fitted to {Path(self.sales.path).name}",
                        "catalog": {"skus": None, "file": "catalog.parquet", "groups": {}}, "demand": self.demand(),
                        "overrides": self.overrides()}
            written.append(out / "scenario.yaml")
            atomic_write(written[-1], lambda tmp: Path(tmp).write_text(yaml.safe_dump(scenario, sort_keys=False)))
        summary = {"days": self.walk_in.days, "stores": len(self.walk_in.stores), "skus": len(self.walk_in.skus),
                   "store_mix_cv": self.walk_in.mix_cv,
                   "censoring": self.walk_in.censoring, "em_rounds": self.walk_in.em_rounds, "notes": self.walk_in.notes,
                   "goodness_of_fit": write_fit_report(self, out)}
        written.append(out / "fit.json")
        atomic_write(written[-1], lambda tmp: Path(tmp).write_text(json.dumps(summary, indent=2, default=float)))
        return [*written, out / "fit.html"]


def fit(sales, orders=None, scenario: Scenario | None = None) -> Fit:
    """Fit the demand model to a sales history (a path, or a :class:`SalesFile`: streamed, never held whole)
    and optionally an order log (a path or an :class:`OrderFile`, streamed likewise); with a base ``scenario`` its stores,
    zones and SKUs are the only ones allowed, and store scales keep its average (so rates read as its
    catalog's)."""
    stores = zones = skus = None
    if scenario is not None:
        world = compile_world(scenario)
        stores = [world.node_ids[r] for r in world.store_rows]
        zones, skus = list(world.zone_ids), list(world.skus.sku)
    sales = sales if isinstance(sales, SalesFile) else SalesFile(sales, "sales", stores, skus)
    # Days the base scenario's calendar lifts (its promotions and shocks, counted from the history's first day)
    skip = sorted({d for e in [*scenario.demand.promotions, *scenario.demand.shocks] for d in range(e.start_day, e.end_day)}) \
        if scenario is not None else []
    walk_in = fit_walk_in(sales, skip)
    if scenario is not None:  # keep the base's mean store scale: the rates are then on its catalog's footing
        base = {n.id: n.demand_scale for n in scenario.network.nodes if n.type == STORE}
        level = float(np.mean([base[s] for s in walk_in.stores]))
        walk_in.scale, walk_in.rate = walk_in.scale * level, walk_in.rate / level
    online = None
    if orders is not None:
        orders = orders if isinstance(orders, History | OrderFile) else OrderFile(orders, "orders", zones, skus)
        online = fit_online(orders, walk_in)
    return Fit(walk_in, online, scenario, sales)
