"""S3: a typhoon over one sector of the city, with and without the response plan (pre-positioning from
the warning, emergency transfers while lanes are open).

The typhoon (city_typhoon.yaml, sources in scenarios/README.md): a day of panic buying of typhoon supplies,
two days of the "five suspensions" (no picking, stores shut, no replenishment), three days of flooded roads.

Seed claims (SEEDS.md S3, A26-A28): with the plan, stockout during and after the event stays at or below 5%;
without it, about 20% (15 points more), and 3 km deliveries slip towards 72 hours.
"""

from common import Claim, compare, entry, load, out_dir, parse_args, report, verdict


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], smoke_horizon=240)
    out = out_dir(args, "typhoon_response")
    none, respond = load("city_typhoon", args), load("city_typhoon_response", args)
    table = compare([none, respond], args, out).table
    claims = [Claim("response plan: stockout in the hit sector ~20% -> <=5%", "stockout_rate", -0.75, node_type="shock:typhoon"),
              Claim("response plan: stockout after it (flooded roads) ~20% -> <=5%", "stockout_rate", -0.75,
                    node_type="shock:typhoon-aftermath"),
              Claim("response plan: shorter instant-delivery tail while shut", "delivery_hours_p95", -0.5, channel="instant",
                    node_type="shock:typhoon"),
              Claim("response plan: shorter delivery tail while shut (72 h without)", "delivery_hours_p95", -0.5,
                    node_type="shock:typhoon")]
    rows = [verdict(table, c, respond.name) for c in claims]
    def stockout(phase):
        return table[(table.metric == "stockout_rate") & (table.node_type == f"shock:{phase}")].set_index("policy")["mean"]
    hit, after = stockout("typhoon"), stockout("typhoon-aftermath")
    tail = table[(table.metric == "delivery_hours_p95") & (table.channel == "all")
                 & (table.node_type == "shock:typhoon")].set_index("policy")["mean"]
    footer = (f"Stockout in the hit sector while it is shut: {hit[none.name]:.1%} without a plan (seed ~20%), "
              f"{hit[respond.name]:.1%} with it (seed <= 5%); in the three days after: {after[none.name]:.1%} and "
              f"{after[respond.name]:.1%}. Delivery percentiles are over the orders the hit zones placed while shut: "
              f"p95 {tail[none.name]:.0f} h without a plan, {tail[respond.name]:.0f} h with it (seed: 72 h without "
              f"emergency transfers).")
    report(rows, out, f"Typhoon with and without a response plan, {args.replications} paired replications", footer)


if __name__ == "__main__":
    entry(main)
