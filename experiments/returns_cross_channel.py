"""S9: online returns, over a store counter or by courier, under split stock and under one pool.

Seed claims (SEEDS.md 5.2, A63, S9): under split stock "returns are not cross-channel": a store cannot take an
online order's return into its stock, so it goes back to the warehouse; one pool lets it sell where it was
returned. The seeds give no rates (city_returns.yaml: 20% of home-delivery units, 60% of those to stores,
every value an assumption). Four runs share their customers (common random numbers): the calibrated split
city (city_seed_split) and one pool (city_seed_pool), each without and with the same returns.

The test, stated before running (each a paired 95% CI over replications):

1. Returned units are sellable sooner under one pool: days_to_resellable (home delivery) pool - split < 0.
2. Returns cost less under one pool (no reverse lane), per unit returned (a pool delivers more units, so more
   come back): cost_returns / returned_units pool - split < 0.
3. One pool restocks store shelves with returns, split none: restocked units at stores (structural, shown).
4. What returns do to stock, the pool's change less split's (a difference in differences: pool with returns -
   pool, less split with returns - split): store shelf stockouts fall more under one pool (< 0), and the
   network's days of inventory too (< 0), since a store's returns serve its own shoppers before the next
   allocation arrives. Directions only: the seeds give no sizes.
"""

from common import compare, diff_text, entry, load, on_side, out_dir, parse_args, report

from simulation.experiment.stats import mean_ci
from simulation.metrics.registry import metric as registered

SPLIT, POOL = "city_seed_split", "city_seed_pool"


def per_replication(runs, policy, metric, channel="all", node_type="all"):
    rows = runs[(runs.policy == policy) & (runs.metric == metric) & (runs.channel == channel) & (runs.node_type == node_type)]
    return rows.set_index("replication")["value"]


def ci(values) -> tuple[float, float, float]:
    mean, half = mean_ci(values.to_numpy(float))
    return mean, mean - half, mean + half


def row(test, metric, channel, node_type, x, expected, values=None, label=None):
    shown = ["", ""] if values is None else [registered(metric).format(v) for v in values]
    return {"test": test, "KPI": label or f"{metric} ({channel}, {node_type})",
            "split": shown[0], "pool": shown[1], "difference [95% CI]": diff_text(metric, x),
            "expected": "< 0" if expected < 0 else "> 0", "direction agrees": on_side(x, expected),
            "size agrees (0.5-1.5x)": "n/a"}  # the seeds give directions only


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], smoke_horizon=120)
    out = out_dir(args, "returns_cross_channel")
    split_returns = load("city_returns", args, {"name": "split_returns"})
    returns = split_returns.returns.model_dump(mode="json", exclude_unset=True)
    returns.pop("reverse_lane", None)  # split stock's lane to the online stock: one pool sells a return where it is received
    scenarios = [load(SPLIT, args), split_returns, load(POOL, args), load(POOL, args, {"name": "pool_returns", "returns": returns})]
    runs = compare(scenarios, args, out).runs

    def value(policy, metric, channel="all", node_type="all"):
        return per_replication(runs, policy, metric, channel, node_type)

    def pool_less_split(metric, channel="all", node_type="all"):
        return ci(value("pool_returns", metric, channel, node_type) - value("split_returns", metric, channel, node_type))

    def per_unit(policy):
        return value(policy, "cost_returns") / value(policy, "returned_units")

    def what_returns_do(metric, channel="all", node_type="all"):
        pool = value("pool_returns", metric, channel, node_type) - value(POOL, metric, channel, node_type)
        split = value("split_returns", metric, channel, node_type) - value(SPLIT, metric, channel, node_type)
        return ci(pool - split)

    def at_stores(policy):  # a run whose stores restock nothing has no row: zero
        return value(policy, "restocked_units", "home_delivery", "store").reindex(range(args.replications), fill_value=0.0)

    def means(metric, channel="all", node_type="all"):
        return [value(p, metric, channel, node_type).reindex(range(args.replications), fill_value=0.0).mean()
                for p in ("split_returns", "pool_returns")]

    rows = [
        row("1. returns sellable sooner under one pool", "days_to_resellable", "home_delivery", "all",
            pool_less_split("days_to_resellable", "home_delivery"), -1, means("days_to_resellable", "home_delivery")),
        # a cost per unit returned has no registry entry: printed as cost_per_order prints (currency, 2 decimals)
        row("2. returns cost less under one pool, per unit returned", "cost_per_order", "all", "all",
            ci(per_unit("pool_returns") - per_unit("split_returns")), -1,
            [per_unit(p).mean() for p in ("split_returns", "pool_returns")], "cost_returns / returned_units (all, all)"),
        row("3. returns restocked at stores", "restocked_units", "home_delivery", "store",
            ci(at_stores("pool_returns") - at_stores("split_returns")), +1, means("restocked_units", "home_delivery", "store")),
        row("4a. returns cut store shelf stockouts more under one pool", "shelf_stockout_rate", "walk_in", "all",
            what_returns_do("shelf_stockout_rate", "walk_in"), -1),
        row("4b. returns cut days of inventory more under one pool", "days_of_inventory", "all", "all",
            what_returns_do("days_of_inventory"), -1),
    ]
    rate = means("return_rate", "home_delivery")
    restocked = [value(p, "restocked_units").mean() / value(p, "returned_units").mean() for p in ("split_returns", "pool_returns")]
    stated = split_returns.returns.home_delivery
    footer = (f"Return rate of home-delivery units {rate[0]:.1%} (split) and {rate[1]:.1%} (pool), stated {stated.rate:.0%}. Of "
              f"the units returned, {restocked[0]:.0%} (split) and {restocked[1]:.0%} (pool) were restocked within the run "
              f"({stated.resellable_share:.0%} are resellable; perishables are written off; the rest still in the reverse flow "
              "at the end). Rows 1-3: pool with returns less split with returns, paired by replication (row 2 in currency "
              "per unit returned); row 3 is structural (split stores never take an online return into stock). Rows 4: "
              "(pool with returns - pool) - (split with returns - split), paired by replication: what returns change "
              "under one pool beyond what they change under split stock; the split and pool columns are empty there. A "
              "verdict is 'inconclusive' when the 95% CI includes zero.")
    report(rows, out, f"Online returns: split vs one pool, {args.replications} paired replications (Seed: returns are not "
           "cross-channel under split stock, A63; directions only)", footer)


if __name__ == "__main__":
    entry(main)
