"""stockpyl's simulator as the validation suite's independent peer, run once and stored.

A stockpyl replication of the one-warehouse, three-retailer network takes about 6 s (2,500 periods, pure
Python), and a peer check needs many of them to have power. So they run by a command and are stored
with the parameters, the seeds and the stockpyl version that made them::

    python -m simulation.validation.peers      # rewrites simulation/validation/data/stockpyl_owmr.json (about 25 minutes on 2 cores)

The validation case reads the file and refuses one made for other parameters or another stockpyl;
a test reruns one stored replication and requires the same numbers, so the file cannot drift from what
stockpyl computes.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path

import numpy as np

from simulation.experiment.results import atomic_write

CACHE = Path(__file__).parent / "data" / "stockpyl_owmr.json"
STOCKPYL_SEED = 20261124
WARMUP = 100
# One warehouse (lead 2, base stock 20) feeding three retailers (lead 1, base stock 5, Poisson 3/day each).
OWMR = {"demand": 3.0, "warehouse_lead": 2, "warehouse_S": 20, "retailer_lead": 1, "retailer_S": 5, "retailers": 3,
        "periods": 2500, "warmup": WARMUP}
REPLICATIONS = 400


def owmr_replication(rep: int, params: dict = OWMR) -> dict[str, float]:
    """One stockpyl replication (seed ``STOCKPYL_SEED + rep``): warehouse on hand and each retailer's fill rate and
    on hand, averaged over the periods after warm-up."""
    from stockpyl.sim import simulation
    from stockpyl.supply_chain_network import network_from_edges
    p, n = params, params["retailers"]
    nodes = list(range(n + 1))
    net = network_from_edges(
        edges=[(0, r) for r in nodes[1:]], node_order_in_lists=nodes, holding_cost=1, stockout_cost=1,
        demand_type=[None] + ["P"] * n, mean=[None] + [p["demand"]] * n, policy_type="BS",
        base_stock_level=[p["warehouse_S"]] + [p["retailer_S"]] * n,
        shipment_lead_time=[p["warehouse_lead"]] + [p["retailer_lead"]] * n, supply_type=["U"] + [None] * n)
    simulation(net, p["periods"], rand_seed=STOCKPYL_SEED + rep, progress_bar=False)
    out: dict[str, float] = {}
    for node in net.nodes:
        k = node.product_indices[0]
        states = node.state_vars[p["warmup"]:]
        on_hand = float(np.mean([max(s.inventory_level[k], 0) for s in states]))
        if node.index == 0:
            out["warehouse on hand"] = on_hand
            continue
        demand = sum(s.inbound_order[None][k] for s in states)
        met = sum(s.demand_met_from_stock[k] for s in states)
        out[f"retailer {node.index} fill rate"] = float(met / demand)
        out[f"retailer {node.index} on hand"] = on_hand
    return out


def load_owmr(params: dict = OWMR) -> dict[str, list[float]]:
    """The stored replications, quantity by quantity; refuses a file made for other parameters or another
    stockpyl, naming the command that remakes it."""
    stored = json.loads(CACHE.read_text())
    remake = "run `python -m simulation.validation.peers` to remake it"
    if stored["params"] != params or stored["seed"] != STOCKPYL_SEED:
        raise ValueError(f"{CACHE.name} was made for {stored['params']} (seed {stored['seed']}), not {params}: {remake}")
    if stored["stockpyl"] != version("stockpyl"):
        raise ValueError(f"{CACHE.name} was made with stockpyl {stored['stockpyl']}, this is {version('stockpyl')}: {remake}")
    reps = stored["replications"]
    return {q: [r[q] for r in reps] for q in reps[0]}


def regenerate(replications: int = REPLICATIONS, workers: int | None = None) -> Path:
    with ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        reps = list(pool.map(owmr_replication, range(replications)))
    payload = {"stockpyl": version("stockpyl"), "seed": STOCKPYL_SEED, "params": OWMR, "replications": reps}
    atomic_write(CACHE, lambda tmp: Path(tmp).write_text(json.dumps(payload, indent=1) + "\n"))
    return CACHE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.validation.peers", description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=REPLICATIONS)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = parser.parse_args(argv)
    print(f"wrote {regenerate(args.replications, args.workers)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
