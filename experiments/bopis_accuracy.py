"""S5: BOPIS share x store inventory-record accuracy: how often does a BOPIS customer find no stock?

Seed claims (SEEDS.md S5, A30, A12/A43): with poor record accuracy about 28% of BOPIS orders hit "no
stock"; at 99%+ accuracy failures fall to low single digits; failures rise with the BOPIS share.

Tests, stated before the run: at 99% accuracy the no-stock rate's 95% CI lies below 5% ("low single
digits"); at the lowest accuracy it lies within 0.5x to 1.5x of 28%; raising the BOPIS share from 10% to
40% raises it (paired 95% CI above zero). Each verdict is "yes", "no" or "inconclusive" (CI straddles).

By construction: the no-stock rate counts orders with a line whose store record was wrong. Each line
fails with the store's record inaccuracy rho, and an order has 1 + Poisson(m - 1) lines (m the mean basket),
so the rate is 1 - (1 - rho) exp(-(m - 1) rho) whatever the stock: the table prints that formula beside
the simulated rate. The experiment measures what follows from an input; it is not evidence about records.
"""

import json
import math

from common import (
    ci_text,
    diff_text,
    entry,
    grid_difference,
    load,
    on_side,
    out_dir,
    parse_args,
    point_mean,
    report,
    significance,
    within,
)

import simulation as sim
from simulation.experiment.sweep import summarise

SHARES = {"low": {"home_delivery": 0.75, "bopis": 0.10, "instant": 0.15}, "high": {"home_delivery": 0.45, "bopis": 0.40, "instant": 0.15}}
INACCURACY = [0.002, 0.01, 0.05, 0.15]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], smoke_horizon=90, replications=3)
    out = out_dir(args, "bopis_accuracy")
    scenario = load("city_bopis", args)
    table = sim.sweep(scenario, {"demand.online.channel_mix": list(SHARES.values()),
                                 "network.nodes[type=store].record_inaccuracy": INACCURACY},
                      replications=args.replications, seed=args.seed, executor=args.scheduler, workers=args.workers,
                      out=out / "sweep", restart=args.restart)
    summary = summarise(table, [("no_stock_rate", "bopis"), ("fill_rate_orders", "bopis"), ("fill_rate_units", "walk_in")])
    # The sweep table keeps a swept mapping as its JSON text.
    share_of = {json.dumps(v): k for k, v in SHARES.items()}
    summary["share"] = summary["demand.online.channel_mix"].map(share_of)
    table["share"] = table["demand.online.channel_mix"].map(share_of)
    lines = scenario.demand.online.basket_lines_mean

    def by_construction(rho: float) -> float:
        return 1 - (1 - rho) * math.exp(-(lines - 1) * rho)

    rows = []
    for _, r in summary.iterrows():
        rho = r["network.nodes[type=store].record_inaccuracy"]
        rows.append({"BOPIS share": r["share"], "record accuracy": f"{1 - rho:.1%}",
                     "BOPIS no-stock rate": f"{r['no_stock_rate (bopis)']:.1%} ±{r['no_stock_rate (bopis) ±']:.1%}",
                     "1 - (1 - rho) e^-(m-1)rho": f"{by_construction(rho):.1%}",
                     "BOPIS orders filled": f"{r['fill_rate_orders (bopis)']:.1%}",
                     "walk-in fill": f"{r['fill_rate_units (walk_in)']:.1%}"})
    accuracy = "network.nodes[type=store].record_inaccuracy"
    good = point_mean(table, "no_stock_rate", "bopis", {accuracy: 0.01})
    poor = point_mean(table, "no_stock_rate", "bopis", {accuracy: INACCURACY[-1]})
    rise = grid_difference(table, "no_stock_rate", "bopis", {"share": "low"}, {"share": "high"})
    footer = (f"Seed: ~28% of BOPIS orders find no stock with poorly synced records; low single digits at >= 99% accuracy; "
              f"failures rise with the BOPIS share. Simulated (mean [95% CI] over replications, both shares):\n"
              f"- at 99% accuracy {ci_text(good)}: below 5%? {within(good, 0.0, 0.05)};\n"
              f"- at {1 - INACCURACY[-1]:.0%} accuracy {ci_text(poor)}: within 0.5-1.5x of 28% (14%-42%)? {within(poor, 0.14, 0.42)};\n"
              f"- BOPIS share 10% -> 40%: no-stock rate {diff_text('no_stock_rate', rise)} (paired): "
              f"{significance(rise[1], rise[2])}; rises as the seed says? "
              f"{on_side(rise, +1)}.\n"
              f"By construction (basket mean m = {lines:g} lines): records fail per line whatever the share, so the rate is "
              "1 - (1 - rho) e^-(m-1)rho, printed beside each row.")
    report(rows, out, f"BOPIS share x record accuracy, {args.replications} replications per point (common random numbers)", footer)


if __name__ == "__main__":
    entry(main)
