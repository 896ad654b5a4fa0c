"""Choosing the best of a few simulated systems with a stated guarantee: the fully sequential
indifference-zone procedure of Kim & Nelson (2001), "A fully sequential procedure for indifference-zone
selection in simulation", ACM TOMACS 11(3), 251-273 (procedure KN), for the smallest mean.

Every system runs ``n0`` replications; the variance of each pair's differences sets how long the pair may
stay undecided. Then survivors run one replication more at a time, and a system is eliminated once its mean
exceeds another survivor's by more than a shrinking margin. When the best mean is at least ``delta`` below
every other, KN picks it with probability at least 1 - alpha, for normal outputs, with or without common
random numbers (the pairwise variances absorb the correlation CRN brings, which is what lets it stop early).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Selection:
    """KN's outcome: the chosen system (an index), each system's replications and mean over them, the stage
    (replications) at which each was eliminated (0 for the chosen), and whether it stopped at the cap on
    replications before its own stopping rule (then the guarantee does not hold)."""

    chosen: int
    replications: np.ndarray
    means: np.ndarray
    eliminated_at: np.ndarray
    delta: float
    alpha: float
    n0: int
    stopped_at_cap: bool

    @property
    def guarantee(self) -> str:
        """What the choice is worth, in words."""
        k = self.replications.size
        if k == 1:
            return "one finalist: nothing to choose between"
        if self.stopped_at_cap:
            return (f"KN stopped at its cap of {int(self.replications.max())} replications before its rule: the chosen point "
                    f"has the best mean, with no stated probability of correct selection")
        return (f"probability of correct selection >= {1 - self.alpha:.0%} when the best point's mean is at least "
                f"{self.delta:.4g} below the others' (indifference zone), by Kim & Nelson's (2001) procedure KN over {k} "
                f"finalists, first stage {self.n0} replications on common random numbers")


def kn_eta(systems: int, n0: int, alpha: float) -> float:
    """KN's constant eta = ((2 alpha / (k - 1))^(-2 / (n0 - 1)) - 1) / 2.

    >>> round(kn_eta(2, 10, 0.05), 4)   # k = 2: ((0.1)^(-2/9) - 1) / 2
    0.3341
    """
    return 0.5 * ((2.0 * alpha / (systems - 1)) ** (-2.0 / (n0 - 1)) - 1.0)


def kim_nelson(sample: Callable[[Sequence[int], range], np.ndarray], systems: int, n0: int, delta: float,
               alpha: float = 0.05, max_replications: int = 200) -> Selection:
    """Select the system with the smallest mean. ``sample(ids, reps)`` returns the outputs of replications
    ``reps`` of systems ``ids`` as an array [len(ids), len(reps)] (replication r of every system on the same
    random numbers); it is called once for the first stage and then once per stage for the survivors."""
    if systems < 1 or n0 < 2 or delta <= 0 or not 0 < alpha < 1 or max_replications < n0:
        raise ValueError(f"kim_nelson: need systems >= 1, n0 >= 2, delta > 0, 0 < alpha < 1, max_replications >= n0; "
                         f"got {systems}, {n0}, {delta}, {alpha}, {max_replications}")
    data = [list(row) for row in np.asarray(sample(range(systems), range(n0)), float)]
    eliminated = np.zeros(systems, np.int64)
    if systems == 1:
        return _selection(0, data, eliminated, delta, alpha, n0, False)
    first = np.array(data)
    diffs = first[:, None, :] - first[None, :, :]
    s2 = diffs.var(axis=2, ddof=1)                                     # S^2_il over the first stage
    h2 = 2.0 * kn_eta(systems, n0, alpha) * (n0 - 1)
    last = math.floor(h2 * s2.max() / delta**2)                 # N = max N_il: the rule stops by N + 1
    alive, r = list(range(systems)), n0
    while len(alive) > 1 and r <= last:
        means = {i: float(np.mean(data[i][:r])) for i in alive}
        margin = {(i, j): max(0.0, delta / (2 * r) * (h2 * s2[i, j] / delta**2 - r)) for i in alive for j in alive if i != j}
        survivors = [i for i in alive if all(means[i] <= means[j] + margin[i, j] for j in alive if j != i)]
        eliminated[[i for i in alive if i not in survivors]] = r
        alive = survivors
        if len(alive) <= 1 or r >= max_replications:
            break
        more = np.asarray(sample(alive, range(r, r + 1)), float)
        for i, row in zip(alive, more, strict=True):
            data[i].extend(row)
        r += 1
    capped = len(alive) > 1 and r <= last
    chosen = min(alive, key=lambda i: (float(np.mean(data[i])), i))
    eliminated[[i for i in alive if i != chosen]] = r  # tied survivors at the end: the best mean is chosen
    return _selection(chosen, data, eliminated, delta, alpha, n0, capped)


def _selection(chosen, data, eliminated, delta, alpha, n0, capped) -> Selection:
    return Selection(chosen, np.array([len(d) for d in data]), np.array([float(np.mean(d)) for d in data]),
                     eliminated, float(delta), float(alpha), int(n0), bool(capped))
