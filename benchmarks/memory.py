"""Memory against size: the retail network at several catalogue sizes, a short horizon each, so the
bytes per node-SKU come from the slope (what grows with nodes x SKUs) rather than from one ratio that
includes fixed costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

RETAIL = Path(__file__).resolve().parents[1] / "scenarios" / "retail.yaml"


def measure_peak(skus: int, days: int) -> dict:
    """In a fresh process: peak resident memory of a retail run with ``skus`` SKUs over ``days`` days."""
    import resource

    import simulation as sim

    scenario = sim.load_scenario(RETAIL, {"catalog.skus": skus, "run.horizon_days": days,
                                                           "run.warmup_days": days // 2})
    res = sim.run(scenario)
    return {"skus": skus, "nodes": res.manifest["nodes"], "node_skus": res.manifest["nodes"] * skus,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def scaling(in_fresh_process, sizes=(5_000, 10_000, 20_000), days: int = 20) -> dict:
    points = [in_fresh_process(measure_peak, skus, days) for skus in sizes]
    x = np.array([p["node_skus"] for p in points], float)
    y = np.array([p["peak_rss_mib"] for p in points]) * 2**20
    slope, intercept = np.polyfit(x, y, 1)
    residual = float(np.max(np.abs(y - (slope * x + intercept)) / y))
    return {"days": days, "points": points, "bytes_per_node_sku": float(slope), "fixed_mib": float(intercept / 2**20),
            "max_relative_residual": residual}
