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
    return owen_shares(value, [[s] for s in switches])  # Owen's value with one switch a group is Shapley's


def owen_shares(value: Mapping[frozenset, float], groups: Sequence[Sequence[str]]) -> dict[str, float]:
    """Each switch's Owen share (Owen 1977): the Shapley value of a game whose switches come in ``groups`` that act
    together. The groups split the whole difference among themselves by their Shapley values (a group is one
    player, its members all on or all off), and each group's share is split among its members by their Shapley
    values within it, the other groups on or off as in the outer game. Where every group has one switch it is the
    Shapley share; it needs the value of every union of whole groups with any part of one group.

    >>> v = {frozenset(): 0.0, frozenset("a"): 3.0, frozenset("b"): 0.0, frozenset("c"): 1.0, frozenset("ab"): 6.0,
    ...      frozenset("ac"): 4.0, frozenset("bc"): 1.0, frozenset("abc"): 8.0}
    >>> owen_shares(v, [["a", "b"], ["c"]])   # {a, b}: (6 + 7) / 2, c: (1 + 2) / 2; a: ((3 + 6) / 2 + (3 + 7) / 2) / 2
    {'a': 4.75, 'b': 1.75, 'c': 1.5}
    """
    m = len(groups)
    shares = {}
    for k, group in enumerate(groups):
        others = [g for j, g in enumerate(groups) if j != k]
        for s in group:
            mates = [x for x in group if x != s]
            share = 0.0
            for r in range(m):
                outer = math.factorial(r) * math.factorial(m - r - 1) / math.factorial(m)
                for chosen in itertools.combinations(others, r):
                    base = frozenset(x for g in chosen for x in g)
                    for q in range(len(group)):
                        inner = math.factorial(q) * math.factorial(len(group) - q - 1) / math.factorial(len(group))
                        for part in itertools.combinations(mates, q):
                            on = base | frozenset(part)
                            share += outer * inner * (value[on | {s}] - value[on])
            shares[s] = share
    return shares


def decompose(runs: pd.DataFrame, coalition_of: Mapping[str, frozenset], switches: Sequence[str],
              kpis: Sequence[tuple[str, str, str]], groups: Sequence[Sequence[str]] | None = None) -> pd.DataFrame:
    """Shapley shares (Owen shares, with ``groups`` of switches that act together) of each KPI's difference between
    all switches on and none, with 95% CIs over paired replications.

    ``runs`` holds one row per run and KPI (``policy, replication, metric, channel, node_type, value``, as
    ``compare(...).runs``); ``coalition_of`` names the switches each policy has on, and every combination
    must be there. Shares are computed replication by replication (common random numbers make them
    paired), so in every replication they add up to that replication's total exactly, up to rounding.
    Returns ``switch, metric, channel, node_type, share, ci_low, ci_high, first, last`` with a ``total`` row per KPI:
    ``first`` and ``last`` are the switch's mean effect when turned on first (from none) and last (onto all the
    others), the two ends of its range over orders.
    """
    missing = [sorted(c) for c in coalitions(switches) if c not in set(coalition_of.values())]
    if missing:
        raise ValueError(f"decompose needs every combination of switches; missing {missing}")
    policy_of = {c: p for p, c in coalition_of.items()}
    everything, rows = frozenset(switches), []
    for metric, channel, node_type in kpis:
        mine = runs[(runs.metric == metric) & (runs.channel == channel) & (runs.node_type == node_type)]
        wide = mine.pivot_table(index="replication", columns="policy", values="value", aggfunc="first")
        per_rep = {s: [] for s in [*switches, "total"]}
        first = {s: [] for s in [*switches, "total"]}
        last = {s: [] for s in [*switches, "total"]}
        for _, rep in wide.iterrows():
            value = {c: rep[policy_of[c]] for c in coalitions(switches)}
            shares = owen_shares(value, groups) if groups else shapley_shares(value, switches)
            for s, share in shares.items():
                per_rep[s].append(share)
                first[s].append(value[frozenset({s})] - value[frozenset()])       # the switch turned on first
                last[s].append(value[everything] - value[everything - {s}])       # the switch turned on last
            for bucket in (per_rep, first, last):
                bucket["total"].append(value[everything] - value[frozenset()])
        for s, values in per_rep.items():
            mean, half = mean_ci(np.asarray(values, float))
            rows.append({"switch": s, "metric": metric, "channel": channel, "node_type": node_type, "share": mean,
                         "ci_low": mean - half, "ci_high": mean + half, "first": float(np.mean(first[s])),
                         "last": float(np.mean(last[s]))})
    return pd.DataFrame(rows)


def write_decomposition(out: Path, shares: pd.DataFrame, baseline: str, policy: str, switches: Sequence[str], seed: int,
                        replications: int, names: Mapping[str, str] | None = None, groups: Sequence[Sequence[str]] | None = None,
                        shown: Sequence[str] | None = None) -> None:
    """Mark a comparison folder as decomposed, for ``invsim report``: ``decompose``'s shares as shapley.parquet, and in
    the manifest (added to what it holds) the baseline (no switch), the policy (every switch), the switches (and
    their ``groups``), what to call policies in the report (``names``) and the policies it shows (``shown``, default
    all)."""
    import json

    from simulation.experiment.results import ResultsFolder

    decomposition = {"baseline": baseline, "policy": policy, "switches": list(switches), "names": dict(names or {}),
                     "groups": [list(g) for g in groups] if groups else None, "shown": list(shown) if shown else None}
    path = Path(out) / "manifest.json"
    manifest = json.loads(path.read_text()) if path.is_file() else {}
    manifest.update(kind="comparison", seed=seed, replications=replications, baseline=baseline, decomposition=decomposition)
    ResultsFolder(Path(out), "comparison", claim=False).write(shapley=shares, manifest=manifest)
