"""S1: split channel stock (分仓制) against one inventory pool (一盘货) on the city.

Seed claims (SEEDS.md S1, A1-A5): one pool cuts network days of inventory from 28 to 15 (-46%) at equal
or better service; under split stock, stores turn markedly slower than online stock (40 vs 25 days).
"""

from common import Claim, compare, entry, load, out_dir, parse_args, report, verdict

# "No worse" means at most 1 percentage point worse: a service change an analyst would not act on.
MARGIN = 0.01


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], smoke_horizon=90)
    out = out_dir(args, "split_vs_pool")
    split, pool = load("city_split", args), load("city_pool", args)
    table = compare([split, pool], args, out).table
    claims = [Claim("one pool: network days of inventory 28 -> 15", "days_of_inventory", -0.46),
              Claim("one pool: capital tied up falls with the days", "avg_inventory_value", -0.46),
              Claim("one pool: equal or better online service", "fill_rate_units", None, channel="home_delivery", margin=MARGIN),
              Claim("one pool: equal or better instant service", "fill_rate_units", None, channel="instant", margin=MARGIN)]
    rows = [verdict(table, c, pool.name) for c in claims]
    doi = table[(table.metric == "days_of_inventory") & (table.policy == split.name)].set_index("node_type")["mean"]
    footer = (f"Split stock, days of inventory by node type: central warehouse {doi.get('central_warehouse', float('nan')):.1f}, "
              f"forward warehouses {doi.get('forward_warehouse', float('nan')):.1f}, stores {doi.get('store', float('nan')):.1f} "
              f"(seed: online 25 vs stores 40, ratio 1.6; here {doi.get('store', float('nan')) / doi.get('central_warehouse', 1):.2f}). "
              f"Service claims say 'no worse' (no seed size): 'yes' needs the 95% CI's worse end within {MARGIN * 100:g} pp, "
              "'inconclusive' when the CI is too wide to tell.")
    report(rows, out, f"Split vs one pool, {args.replications} paired replications", footer)


if __name__ == "__main__":
    entry(main)
