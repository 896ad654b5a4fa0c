"""What one shipment of an online order costs on its last mile, from each stock row to each zone."""

from __future__ import annotations

import numpy as np

from simulation.scenario import NODE_TYPES, ONLINE_CHANNELS


def last_mile_costs(sc, cands, cand_node: np.ndarray, node_type: np.ndarray) -> np.ndarray:
    """[row, zone, online channel]: the rate for the row's node type (``costs.last_mile_by_origin``, else
    ``last_mile_per_order``): its fixed part plus its per-km part times the row's distance to the zone (as
    eligibility measures it: 0 for a node in the zone), times the zone tier's multiplier. Distances count
    only where the row may serve the zone (a candidate), the only rows that ship there."""
    costs, zones = sc.costs, sc.network.zones
    out = np.zeros((node_type.size, len(zones), len(ONLINE_CHANNELS)))
    for c, name in enumerate(ONLINE_CHANNELS):
        rate = [costs.last_mile_rate(kind, name) for kind in NODE_TYPES]
        fixed = np.array([rate[t].fixed for t in node_type])
        for z, zone in enumerate(zones):
            out[:, z, c] = fixed
            for m, cand in enumerate(cands[z][name]):
                row = cand_node[z, c, m]
                if rate[node_type[row]].per_km:
                    out[row, z, c] += rate[node_type[row]].per_km * cand.distance_km
            out[:, z, c] *= costs.tier_cost_multiplier[zone.tier]
    return out
