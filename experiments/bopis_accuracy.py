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

from common import entry, load, out_dir, paired_difference, parse_args, report, significance

import simulation as sim
from simulation.experiment.stats import mean_ci
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
    good = _level(table, 0.01)
    poor = _level(table, INACCURACY[-1])
    rise = paired_difference(table, "no_stock_rate", "bopis", {"share": "low"}, {"share": "high"})
    footer = (f"Seed: ~28% of BOPIS orders find no stock with poorly synced records; low single digits at >= 99% accuracy; "
              f"failures rise with the BOPIS share. Simulated (mean [95% CI] over replications, both shares):\n"
              f"- at 99% accuracy {_ci(good)}: below 5%? {_inside(good, 0.0, 0.05)};\n"
              f"- at {1 - INACCURACY[-1]:.0%} accuracy {_ci(poor)}: within 0.5-1.5x of 28% (14%-42%)? {_inside(poor, 0.14, 0.42)};\n"
              f"- BOPIS share 10% -> 40%: no-stock rate {rise[0]:+.2%} [{rise[1]:+.2%}, {rise[2]:+.2%}] (paired): "
              f"{significance(rise[1], rise[2])}; rises as the seed says? "
              f"{'yes' if rise[1] > 0 else ('no' if rise[2] < 0 else 'inconclusive')}.\n"
              f"By construction (basket mean m = {lines:g} lines): records fail per line whatever the share, so the rate is "
              "1 - (1 - rho) e^-(m-1)rho, printed beside each row.")
    report(rows, out, f"BOPIS share x record accuracy, {args.replications} replications per point (common random numbers)", footer)


def _level(table, inaccuracy: float) -> tuple[float, float, float]:
    """The BOPIS no-stock rate at one record inaccuracy (both shares), mean and 95% CI over replications."""
    rows = table[(table.metric == "no_stock_rate") & (table.channel == "bopis") & (table.node_type == "all")
                 & (table["network.nodes[type=store].record_inaccuracy"] == inaccuracy)]
    mean, half = mean_ci(rows.groupby("replication")["value"].mean().to_numpy(float))
    return mean, mean - half, mean + half


def _ci(x) -> str:
    return f"{x[0]:.1%} [{x[1]:.1%}, {x[2]:.1%}]"


def _inside(x, low: float, high: float) -> str:
    """'yes' when the CI lies inside [low, high], 'no' when it lies wholly outside, else 'inconclusive'."""
    if low <= x[1] and x[2] <= high:
        return "yes"
    return "no" if x[2] < low or x[1] > high else "inconclusive"


if __name__ == "__main__":
    entry(main)
