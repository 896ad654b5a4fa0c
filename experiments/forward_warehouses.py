"""S6: network design: the pooled city as it is (CW, 3 forward warehouses, stores) against every store
converted into a store-warehouse (店仓一体) that picks home-delivery and 30-minute orders.

Seed claims (SEEDS.md S6, A18, A22, A47-A49): store-warehouses shift the delivery-time distribution
sharply left (30 minutes within 3 km, a large same-day share) with logistics cost per order flat or down
(-22%).
"""

from common import Claim, compare, entry, load, out_dir, parse_args, report, verdict

ORIGINS = {"central_warehouse": "central warehouse", "forward_warehouse": "forward warehouses", "store": "stores"}


def by_origin(table, policies) -> str:
    """Each policy's online orders and cost per order by the type of node serving them (channel all)."""
    def value(metric, policy, node_type):
        rows = table[(table.metric == metric) & (table.channel == "all") & (table.node_type == node_type) & (table.policy == policy)]
        return float(rows["mean"].iloc[0]) if len(rows) else 0.0
    parts = []
    for policy in policies:
        total = value("orders", policy, "all")
        cells = [f"{label} {value('orders', policy, t) / total:.0%} of orders at {value('cost_per_order', policy, t):.2f}"
                 for t, label in ORIGINS.items() if value("orders", policy, t) > 0]
        parts.append(f"{policy}: " + ", ".join(cells))
    return "; ".join(parts)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], smoke_horizon=90)
    out = out_dir(args, "forward_warehouses")
    base, stores = load("city_pool", args), load("city_forward_warehouses", args)
    result = compare([base, stores], args, out)
    claims = [Claim("store-warehouses: parcel delivery time shifts left", "delivery_hours_p50", -0.5, channel="home_delivery"),
              Claim("store-warehouses: more 30-minute orders on time", "on_time_rate", +0.2, channel="instant"),
              Claim("store-warehouses: instant delivery tail shortens", "delivery_hours_p95", -0.5, channel="instant"),
              Claim("store-warehouses: logistics cost per order -22%", "cost_per_order", -0.22)]
    rows = [verdict(result.table, c, stores.name) for c in claims]
    footer = ("Cost per order = (picking and packing + last mile) / online orders (the engine's cost_per_order); each "
              "shipment's last mile is costed from the node it leaves (city.yaml: a parcel from the central warehouse, "
              "a rider from a forward warehouse or store, scenarios/README.md). By origin, mean of the replications: "
              + by_origin(result.table, [base.name, stores.name]) + ". Seed sizes for delivery times are this project's "
              "reading of 'sharply left'.")
    report(rows, out, f"Store-warehouses vs the three-tier city, {args.replications} paired replications", footer)


if __name__ == "__main__":
    entry(main)
