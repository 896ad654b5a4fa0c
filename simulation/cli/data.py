"""The analyst's data commands: ``invsim history`` (a run's demand in the formats of a sales history and an
order log) and ``invsim fit`` (the demand model fitted to such files)."""

from __future__ import annotations

import sys
import time

from simulation.cli import arguments
from simulation.history.fitted import fit as fit_history
from simulation.history.record import write_history
from simulation.scenario import load_scenario, parse_set_options


def add_commands(sub) -> None:
    h = sub.add_parser("history", help="write a run's demand as a sales history and an order log (Parquet)")
    h.add_argument("scenario")
    h.add_argument("--seed", type=arguments.seed, default=None, help="random seed (default: run.seed in the scenario)")
    h.add_argument("--out", type=arguments.folder, required=True, help="folder for sales.parquet and orders.parquet")
    h.add_argument("--as-sold", action="store_true",
                   help="what a till records instead of demand: units sold and end-of-day stock (on_hand)")
    h.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field (repeatable)")
    f = sub.add_parser("fit", help="fit the demand model to a sales history (and an order log)")
    f.add_argument("sales", help="sales history (CSV or Parquet): day or date, location, sku, units[, channel, on_hand]")
    f.add_argument("orders", nargs="?", default=None, help="order log (CSV or Parquet): order_id, day and hour or time, zone, "
                   "channel, sku, units")
    f.add_argument("--out", type=arguments.folder, required=True, help="folder for catalog.parquet, demand.yaml, fit.html, ...")
    f.add_argument("--scenario", default=None, help="the base scenario: its stores, zones and SKUs, its costs; writes a "
                   "runnable scenario.yaml")


def history(args) -> int:
    scenario = load_scenario(args.scenario, parse_set_options(args.set))
    seed = scenario.run.seed if args.seed is None else args.seed
    sales, orders = write_history(scenario, seed, args.out, as_sold=args.as_sold)
    what = "units sold and the stock left after the walk-in trade" if args.as_sold else "walk-in units wanted"
    print(f"{scenario.name}, seed {seed}, {scenario.run.horizon_days} days: wrote {sales} ({what} per store, SKU and day) "
          f"and {orders} (online orders placed, one row per line)", file=sys.stderr)
    return 0


def fit(args) -> int:
    base = load_scenario(args.scenario) if args.scenario else None
    start = time.perf_counter()
    fitted = fit_history(args.sales, args.orders, base)
    written = fitted.write(args.out, args.scenario)
    w = fitted.walk_in
    print(f"fitted {w.skus.size:,} SKUs at {w.stores.size} stores over {w.days} days"
          f"{f' and {fitted.online.orders:,} orders' if fitted.online else ''} in {time.perf_counter() - start:.1f} s; wrote "
          + ", ".join(str(p) for p in written), file=sys.stderr)
    for note in w.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


DATA_COMMANDS = {"history": history, "fit": fit}
