"""S1 decomposed: what each change one pool brings adds to its saving, order-free, over every combination.

Test, stated before running. From the calibrated split network (`city_seed_split`, scenarios/README.md), the
changes one pool brings are switches, each changing one thing, turned on in every meaningful combination on common
random numbers: `pull` (every node, the online stock included, orders up to a service level on its own forecast of
what it records, instead of head office's plan and cover targets), `served_sizing` (levels planned where a pilot run
shows online demand served), `recapture` (30% of the walk-in units an empty shelf or an unranged SKU turns away
become home-delivery orders: from the pool under one pool, from the online stock under split), `rebalancing` (a
mid-week run between the warehouse and the stores: top-ups, pull-backs, lateral moves), `allocation` (the stores'
needs first at a warehouse that also sells online), `accurate_records` (the seed's RFID: every store record counted
each day), `one_pool` (one stock per node for every channel, the online stock's rule kept for its part) and
`ship_from_store` (every third store ships parcels and instant orders). A store ships from its shelf only under one
pool, so `ship_from_store` and `one_pool` are one group: each switch's share is its Owen value (the Shapley value of
the groups, each group's split among its members), and a combination with `ship_from_store` but not `one_pool` is
the same run as without it. Shares are computed replication by replication (they add up to the whole in each), with
95% CIs; beside each, its effect made first and made last. Pre-registered verdicts: every switch on moves network
days of inventory in the seed's direction by 0.5-1.5x of -46% (28 -> 15 days), with shelf stockout no worse (margin
1 pp); and each holds over the band (each uncertain setting at a low and a high value, the others as calibrated):
"agrees" only where every band setting agrees, else the settings that flip it are named.
"""

import argparse

import pandas as pd
from common import Claim, compare, direction_and_size, entry, in_units, load, markdown, no_worse, out_dir, parse_args, report

from simulation.experiment.compare import paired_difference
from simulation.experiment.results import atomic_write
from simulation.experiment.shapley import coalitions, decompose, write_decomposition
from simulation.metrics.registry import CHANNEL_LABELS, metric

BASE = "city_seed_split"
MARGIN = 0.01  # "no worse": at most 1 percentage point more shelf stockout, a change an analyst would not act on
SHIP_FROM_STORES = [f"S{s:02d}" for s in range(1, 31, 3)]  # every third store ships from its shelf under one pool
# Every node class orders on its own forecast, at the city's service targets and review days; the online stock too.
PULL = {"replenishment.central_warehouse": {"policy": "forecast_order_up_to", "review_period_days": 7, "service_level": 0.98},
        "replenishment.forward_warehouse": {"policy": "forecast_order_up_to", "review_period_days": 1, "service_level": 0.95},
        "replenishment.store": {"policy": "forecast_order_up_to", "review_period_days": 7, "service_level": 0.95},
        "replenishment.online_stock": {"policy": "forecast_order_up_to", "review_period_days": 7, "service_level": 0.98}}
REBALANCING = {"rule": "rebalance", "period_days": 7, "offset_days": 3, "node_types": ["store"],
               "directions": ["lateral", "top_up", "pull_back"], "excess_cover_days": 28, "target_cover_days": 5}
SWITCHES = {
    "pull": PULL,
    "served_sizing": {"replenishment.online_sizing.rule": "served"},
    "recapture": {"policies.walk_in_to_online": {"unmet_share": 0.3, "unranged_share": 0.3, "channel": "home_delivery"}},
    "rebalancing": {"policies.transfers": REBALANCING},
    "allocation": {"policies.allocation": "store_first"},
    "accurate_records": {"policies.store_records.count_interval_days": 1},
    "one_pool": {"policies.inventory_mode": "pool"},
    "ship_from_store": {f"network.nodes[id={s}].ship_from_store": True for s in SHIP_FROM_STORES},
}
NEEDS = {"ship_from_store": "one_pool"}  # a store ships from its shelf only under one pool: alone it changes nothing
GROUPS = [["pull"], ["served_sizing"], ["recapture"], ["rebalancing"], ["allocation"], ["accurate_records"],
          ["one_pool", "ship_from_store"]]
# The main job's two groups (city_seed_control, city_seed_pooling; city_seed_pool has both); accurate records stay apart.
REPLENISHMENT = ("pull", "served_sizing")
POOLING = ("recapture", "rebalancing", "allocation", "one_pool", "ship_from_store")
DAYS = ("days_of_inventory", "all", "all")
SERVICE = [("shelf_stockout_rate", "walk_in", "store"), ("fill_rate_units", "walk_in", "all"),
           ("fill_rate_units", "home_delivery", "all"), ("fill_rate_units", "instant", "all")]
KPIS = [DAYS, ("days_of_inventory", "all", "store"), ("avg_inventory_value", "all", "all"), *SERVICE, ("cost_total", "all", "all")]
CLAIM = Claim("one pool: network days of inventory 28 -> 15", "days_of_inventory", -0.46)
# The band: each uncertain setting at a low and a high value, the others as calibrated.
BAND = {
    "store cover target (days)": ("replenishment.store.S.days_of_cover", [30, 50]),
    "online cover target (days)": ("replenishment.online_stock.S.days_of_cover", [25, 45]),
    "store delivery days": ("replenishment.store.review_period_days", [3, 14]),
    "planning error cv": ("replenishment.planning_error.cv", [0.3, 0.8]),
    "range threshold (units a day)": ("policies.ranging.min_daily_units", [0.035, 0.14]),
    "recapture share": ("policies.walk_in_to_online", [0.15, 0.45]),
    "rebalancing target cover (days)": ("policies.transfers.target_cover_days", [3, 7]),
    "allocation rule": ("policies.allocation", ["online_first", "first_come"]),
    "forecasts learn from": ("learn_from", ["demand"]),
}
BAND_REPLICATIONS = 3


def on(coalition: frozenset) -> frozenset:
    """The switches that act: a switch whose prerequisite is off changes nothing, so it is left out."""
    return frozenset(s for s in coalition if NEEDS.get(s, s) in coalition)


def name(coalition: frozenset) -> str:
    return "ladder-" + (".".join(s for s in SWITCHES if s in on(coalition)) or "split")


def switched(coalition: frozenset) -> dict:
    """The overrides that turn ``coalition`` on in the baseline."""
    overrides = {}
    for switch in SWITCHES:
        if switch in on(coalition):
            overrides.update(SWITCHES[switch])
    return overrides


def band_overrides(path: str, value, coalition: frozenset) -> dict:
    """A band setting where it means something in ``coalition`` (a pooling setting only where its switch is on; the
    split baseline's cover targets only where pull has not replaced them)."""
    active = on(coalition)
    if path == "policies.walk_in_to_online":
        return {f"{path}.unmet_share": value, f"{path}.unranged_share": value} if "recapture" in active else {}
    if path.startswith("policies.transfers"):
        return {path: value} if "rebalancing" in active else {}
    if path == "policies.allocation":
        return {path: value} if "allocation" in active else {}
    if path.endswith("days_of_cover"):
        return {} if "pull" in active else {path: value}
    if path == "learn_from":
        return {f"{key}.learn_from": value for key in PULL} if "pull" in active else {}
    return {path: value}


def ci_text(mean: float, low: float, high: float, m: str) -> str:
    return f"{in_units(m, mean)} [{in_units(m, low)}, {in_units(m, high)}]"


def service_sentence(shares: pd.DataFrame, switch: str) -> str:
    """One switch's share of the change in days of inventory with the change in service it comes with."""
    def row(kpi):
        r = shares[(shares.switch == switch) & (shares.metric == kpi[0]) & (shares.channel == kpi[1]) & (shares.node_type == kpi[2])]
        return r.iloc[0] if len(r) else None
    days = row(DAYS)
    moved = [(kpi, r) for kpi in SERVICE if (r := row(kpi)) is not None and (r.ci_low > 0 or r.ci_high < 0)]
    service = "; ".join(f"{CHANNEL_LABELS.get(k[1], k[1])} {metric(k[0]).label} {in_units(k[0], r.share)}" for k, r in moved)
    days_moved = days.ci_low > 0 or days.ci_high < 0
    both = " It moves both stock and service." if days_moved and moved else ""
    return (f"- {switch}: days of inventory {ci_text(days.share, days.ci_low, days.ci_high, DAYS[0])}"
            f"{' (not significant)' if not days_moved else ''}; "
            + (f"service: {service}." if moved else "no significant change in service.") + both)


def verdicts(runs: pd.DataFrame, split: str, pool: str) -> tuple[str, str, str, tuple]:
    """The pre-registered claim on one pair: direction, size and shelf stockout no worse; and the relative change."""
    total = paired_difference(runs, split, pool, DAYS)
    direction, size = direction_and_size(total[0], total[1] > 0 or total[2] < 0, total[0] / total[3], CLAIM.seed_change)
    shelf = paired_difference(runs, split, pool, SERVICE[0])
    return direction, size, no_worse(shelf[1], shelf[2], MARGIN, -1), tuple(x / total[3] for x in total[:3])


def run_band(args, out) -> tuple[pd.DataFrame, str]:
    """Split and the full pool at each band setting, paired; each setting's verdicts, and over the band."""
    full = frozenset(SWITCHES)
    settings = list(BAND.items())[:2] if args.smoke else list(BAND.items())
    scenarios, points = [], []
    for label, (path, values) in settings:
        for value in values:
            point = f"{label} = {value}"
            points.append(point)
            for role, coalition in (("split", frozenset()), ("pool", full)):
                scenarios.append(load(BASE, args, {**switched(coalition), **band_overrides(path, value, coalition),
                                                   "name": f"band-{len(points)}-{role}"}))
    fewer = argparse.Namespace(**{**vars(args), "replications": min(args.replications, BAND_REPLICATIONS)})
    result = compare(scenarios, fewer, out / "band")
    rows = []
    for i, point in enumerate(points, 1):
        direction, size, shelf, change = verdicts(result.runs, f"band-{i}-split", f"band-{i}-pool")
        rows.append({"setting": point, "pool vs split [95% CI]": f"{change[0]:+.1%} [{change[1]:+.1%}, {change[2]:+.1%}]",
                     "direction agrees": direction, "size agrees (0.5-1.5x)": size, "shelf stockout no worse": shelf})
    frame = pd.DataFrame(rows)
    atomic_write(out / "band.csv", lambda tmp: frame.to_csv(tmp, index=False))
    said = []
    for column in ("direction agrees", "size agrees (0.5-1.5x)", "shelf stockout no worse"):
        flips = frame[frame[column] != "yes"]
        said.append(f"{column}: " + ("yes at every setting" if flips.empty else
                                     "not over the whole band (" + "; ".join(f"{r.setting}: {r[column]}" for _, r in
                                                                           flips.iterrows()) + ")"))
    return frame, f"Over the band ({len(points)} settings, {fewer.replications} paired replications each): " + "; ".join(said) + "."


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], smoke_horizon=45, replications=3)
    if args.smoke:  # 192 runs a replication: the smoke keeps each one small (its time goes by the day)
        args.sizes["catalog.skus"] = 40
    out = out_dir(args, "pool_ladder")
    # every combination; one with ship_from_store but not one_pool is the run without it (same name)
    ladder = {c: name(c) for c in coalitions(list(SWITCHES))}
    distinct = {p: c for c, p in ladder.items()}
    scenarios = [load(BASE, args, {**switched(c), "name": p}) for p, c in distinct.items()]
    base_hash = load(BASE, args).digest()
    result = compare(scenarios, args, out)
    runs = pd.concat([result.runs[result.runs.policy == p].assign(policy="+".join(sorted(c)) or "none")
                      for c, p in ladder.items()], ignore_index=True)  # every combination under its own label
    coalition_of = {"+".join(sorted(c)) or "none": c for c in ladder}
    shares = decompose(runs, coalition_of, list(SWITCHES), KPIS, GROUPS)
    shares["baseline_scenario_hash"] = base_hash
    atomic_write(out / "shapley.csv", lambda tmp: shares.to_csv(tmp, index=False))
    none, full = name(frozenset()), name(frozenset(SWITCHES))
    write_decomposition(out, shares, none, full, list(SWITCHES), args.seed, args.replications, groups=GROUPS,
                        names={none: "split", full: "one pool (every switch)"}, shown=[none, full])
    rows = []
    for kpi in KPIS:
        m, c, t = kpi
        for s in [*SWITCHES, "total"]:
            r = shares[(shares.metric == m) & (shares.channel == c) & (shares.node_type == t) & (shares.switch == s)].iloc[0]
            rows.append({"KPI": f"{m} ({c}, {t})", "switch": "total: every switch vs split" if s == "total" else s,
                         "Owen share [95% CI]": ci_text(r.share, r.ci_low, r.ci_high, m),
                         "made first .. made last": f"{in_units(m, r['first'])} .. {in_units(m, r['last'])}"})
    direction, size, shelf_ok, change = verdicts(result.runs, none, full)
    groups = {label: sum(shares[(shares.switch == s) & (shares.metric == DAYS[0]) & (shares.channel == "all")
                                & (shares.node_type == "all")].share.iloc[0] for s in members)
              for label, members in (("replenishment", REPLENISHMENT), ("pooling", POOLING), ("accurate records", ("accurate_records",)))}
    band, band_verdict = run_band(args, out)
    base = paired_difference(result.runs, none, full, DAYS)[3]
    grouped = "; ".join(f"{s} grouped with {n}, which it needs" for s, n in NEEDS.items())
    footer = (f"Seed claim, pre-registered: network days of inventory 28 -> 15 (-46%). Every switch on against the calibrated "
              f"split baseline ({base:.1f} days; scenario hash {base_hash[:12]}): {change[0]:+.1%} [{change[1]:+.1%}, "
              f"{change[2]:+.1%}]: direction agrees: {direction}; size agrees (0.5-1.5x): {size}. Shelf stockout no worse "
              f"(margin {MARGIN * 100:g} pp): {shelf_ok}. {band_verdict}\n\n"
              f"Owen shares over the {len(distinct)} distinct runs of the {len(ladder)} combinations ({', '.join(SWITCHES)}; "
              f"{grouped}); in every replication they add up to the total. Of "
              f"the change in days of inventory, the replenishment switches ({', '.join(REPLENISHMENT)}) make "
              f"{in_units(DAYS[0], groups['replenishment'])}, the pooling switches ({', '.join(POOLING)}) "
              f"{in_units(DAYS[0], groups['pooling'])} and accurate records {in_units(DAYS[0], groups['accurate records'])} "
              f"(sums of their shares). Each switch's days of inventory with the service it comes with (shares whose 95% CI "
              f"excludes zero):\n" + "\n".join(service_sentence(shares, s) for s in SWITCHES)
              + f"\n\nBand (band.csv):\n\n{markdown(band)}")
    report(rows, out, f"One pool decomposed: {len(SWITCHES)} switches, {args.replications} paired replications", footer)


if __name__ == "__main__":
    entry(main)
