"""What each change contributes to a difference between two policies (Shapley 1953).

A comparison of a baseline with a policy that differs in several *switches* (one pool, ship-from-store,
recapture, a new replenishment rule, ...) says how much the policy changes a KPI, not how much of that
comes from each switch; and switches interact, so turning them on one at a time gives shares that depend
on the order. A switch's Shapley share is its marginal effect averaged over every order in which the
switches can be turned on. The shares add up to the whole difference (efficiency), a switch that never
matters gets 0, and switches that act alike get equal shares. It needs the KPI for every one of the 2^k
combinations of switches, run on common random numbers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment.stats import mean_ci


def coalitions(switches: Sequence[str]) -> list[frozenset]:
    """Every combination of switches turned on, the empty one first and all of them last.

    >>> [sorted(c) for c in coalitions(["a", "b"])]
    [[], ['a'], ['b'], ['a', 'b']]
    """
    return [frozenset(c) for r in range(len(switches) + 1) for c in itertools.combinations(switches, r)]


def shapley_shares(value: Mapping[frozenset, float], switches: Sequence[str]) -> dict[str, float]:
    """Each switch's Shapley share of ``value[all] - value[none]``, from the value of every combination.

    >>> v = {frozenset(): 0.0, frozenset("a"): 3.0, frozenset("b"): 1.0, frozenset("ab"): 6.0}
    >>> shapley_shares(v, ["a", "b"])   # a: (3 + 5) / 2, b: (1 + 3) / 2; together the whole 6
    {'a': 4.0, 'b': 2.0}
    """
    k = len(switches)
    shares = {}
    for s in switches:
        others = [x for x in switches if x != s]
        share = 0.0
        for r in range(k):
            weight = math.factorial(r) * math.factorial(k - r - 1) / math.factorial(k)
            for subset in itertools.combinations(others, r):
                with_s = frozenset(subset) | {s}
                share += weight * (value[with_s] - value[frozenset(subset)])
        shares[s] = share
    return shares


def decompose(runs: pd.DataFrame, coalition_of: Mapping[str, frozenset], switches: Sequence[str],
              kpis: Sequence[tuple[str, str, str]]) -> pd.DataFrame:
    """Shapley shares of each KPI's difference between all switches on and none, with 95% CIs over paired
    replications.

    ``runs`` holds one row per run and KPI (``policy, replication, metric, channel, node_type, value``, as
    ``compare(...).runs``); ``coalition_of`` names the switches each policy has on, and every combination
    must be there. Shares are computed replication by replication (common random numbers make them
    paired), so in every replication they add up to that replication's total exactly, up to rounding.
    Returns ``switch, metric, channel, node_type, share, ci_low, ci_high`` with a ``total`` row per KPI.
    """
    missing = [sorted(c) for c in coalitions(switches) if c not in set(coalition_of.values())]
    if missing:
        raise ValueError(f"decompose needs every combination of switches; missing {missing}")
    policy_of = {c: p for p, c in coalition_of.items()}
    rows = []
    for metric, channel, node_type in kpis:
        mine = runs[(runs.metric == metric) & (runs.channel == channel) & (runs.node_type == node_type)]
        wide = mine.pivot_table(index="replication", columns="policy", values="value", aggfunc="first")
        per_rep = {s: [] for s in [*switches, "total"]}
        for _, rep in wide.iterrows():
            value = {c: rep[policy_of[c]] for c in coalitions(switches)}
            for s, share in shapley_shares(value, switches).items():
                per_rep[s].append(share)
            per_rep["total"].append(value[frozenset(switches)] - value[frozenset()])
        for s, values in per_rep.items():
            mean, half = mean_ci(np.asarray(values, float))
            rows.append({"switch": s, "metric": metric, "channel": channel, "node_type": node_type, "share": mean,
                         "ci_low": mean - half, "ci_high": mean + half})
    return pd.DataFrame(rows)


def write_ladder(out: Path, shares: pd.DataFrame, baseline: str, control: str, policy: str, switches: Sequence[str],
                 seed: int, replications: int, names: Mapping[str, str] | None = None) -> None:
    """Mark a comparison folder as a pool ladder, for ``invsim report``'s decomposition chart: ``decompose``'s
    shares as shapley.parquet, and in the manifest who is the baseline (no switch), the control (the
    policy's changes but no pooling) and the policy (every switch), with ``names`` to call them by."""
    from simulation.experiment.results import ResultsFolder

    ladder = {"policy": policy, "switches": list(switches), "names": dict(names or {})}
    ResultsFolder(out, "comparison", claim=False).write(
        shapley=shares, manifest={"kind": "comparison", "seed": seed, "replications": replications, "baseline": baseline,
                                  "control": control, "ladder": ladder})
