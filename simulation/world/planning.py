"""What the planner sees: the mean and variance of daily demand per node and SKU, each zone's online demand
planned where it is served (at first choices, or in the shares a pilot run measured), rolled up the supply
tree; the levels of service-level and fill-rate targets are sized against it."""

from __future__ import annotations

import numpy as np

from simulation.scenario import ONLINE_CHANNELS


def first_choice_shares(cand_node: np.ndarray, rows: int) -> np.ndarray:
    """[zone, channel, row]: all of a zone's channel demand at its first-choice row (none where no row is eligible)."""
    zones, channels = np.nonzero(cand_node[:, :, 0] >= 0)
    shares = np.zeros((*cand_node.shape[:2], rows))
    shares[zones, channels, cand_node[zones, channels, 0]] = 1.0
    return shares


def planning_demand(sc, skus, store_rows, ranged, served, mix, source, depth, rows, parts=False):
    """Mean and variance of daily demand per node and SKU, before calendar effects.

    Stores see walk-in demand (each SKU's own overdispersion); a zone's online demand per channel is
    planned at the rows ``served`` names, in its shares (compound: orders x units per line, with the
    catalog's one online overdispersion, as the engine draws it; a share p of the stream has mean p*mu and
    variance p*mu*E[U^2]/E[U] + p^2*alpha*mu^2, the gamma mixing being common to the whole stream); every
    node also sees its children's demand, summed as independent streams. Also each row's planned units by
    channel (``CHANNELS``), summed over SKUs: the shares a forecast that sees the calendar lifts by channel;
    and with ``parts``, each row's own online customers' (mean, var) before its children's are added (else None).
    """
    n_nodes = rows
    rate, alpha, online_alpha = skus.rate, skus.overdispersion, skus.online_overdispersion
    mean = np.zeros((n_nodes, skus.size))
    var = np.zeros_like(mean)
    by_channel = np.zeros((n_nodes, len(ONLINE_CHANNELS) + 1))
    own_online = (np.zeros_like(mean), np.zeros_like(mean)) if parts else None
    for j, row in enumerate(store_rows):
        mu = rate * sc.network.nodes[row].demand_scale  # store rows are scenario rows
        if ranged is not None:  # a store plans (and its sources plan) only for the SKUs it stocks
            mu = mu * ranged[j]
        mean[row] += mu
        var[row] += mu + alpha * mu**2
        by_channel[row, 0] += mu.sum()
    u = sc.demand.online.units_per_line_mean
    unit_factor = ((u - 1) + u * u) / u  # E[U^2] / E[U] for U = 1 + Poisson(u - 1)
    for z, zone in enumerate(sc.network.zones):
        for c in range(len(ONLINE_CHANNELS)):
            mu = rate * zone.demand_scale * mix[z, c]
            for row in np.flatnonzero(served[z, c]):
                p = served[z, c, row]
                mean[row] += p * mu
                var[row] += p * mu * unit_factor + p * p * online_alpha * mu**2
                by_channel[row, 1 + c] += p * mu.sum()
                if own_online is not None:
                    own_online[0][row] += p * mu
                    own_online[1][row] += p * mu * unit_factor + p * p * online_alpha * mu**2
    for d in range(int(depth.max()), 1, -1):
        for child in np.flatnonzero(depth == d):
            mean[source[child]] += mean[child]
            var[source[child]] += var[child]
            by_channel[source[child]] += by_channel[child]
    total = by_channel.sum(axis=1, keepdims=True)
    share = np.divide(by_channel, total, out=np.zeros_like(by_channel), where=total > 0)
    return mean, var, share, own_online
