"""Kim & Nelson's procedure KN (simulation/experiment/selection.py) on synthetic normal systems: its probability
of correct selection in the slippage configuration against the stated 1 - alpha, its elimination rule against
a hand computation, and its stopping at the cap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.experiment.selection import kim_nelson, kn_eta


def normal_systems(means, sd, rng, common=0.0):
    """``sample`` for systems with these means and standard deviation; ``common``: the share of each output's
    variance that replication r's random numbers give every system alike (common random numbers)."""
    means = np.asarray(means, float)
    shared: dict[int, float] = {}

    def sample(ids, reps):
        out = np.empty((len(ids), len(reps)))
        for j, r in enumerate(reps):
            if r not in shared:
                shared[r] = rng.normal()
            for i, s in enumerate(ids):
                out[i, j] = means[s] + sd * (math.sqrt(common) * shared[r] + math.sqrt(1 - common) * rng.normal())
        return out
    return sample


@pytest.mark.parametrize("common", [0.0, 0.8])
def test_kn_picks_the_best_at_least_as_often_as_it_promises(common):
    """Slippage configuration: the best is exactly delta below four others (the hardest case the guarantee covers).
    Over 400 macro-replications the share of correct selections must not fall below 1 - alpha = 0.9 by more than
    sampling error (2.58 standard errors: this fails for a procedure that picks at random, 0.2, or one that
    ignores the variance)."""
    rng, alpha, delta, hits, macro = np.random.default_rng(11), 0.1, 1.0, 0, 400
    for _ in range(macro):
        sample = normal_systems([0.0, 1.0, 1.0, 1.0, 1.0], 2.0, rng, common)
        hits += kim_nelson(sample, 5, n0=10, delta=delta, alpha=alpha, max_replications=10_000).chosen == 0
    floor = (1 - alpha) - 2.58 * math.sqrt(alpha * (1 - alpha) / macro)
    assert hits / macro >= floor, hits / macro


def test_common_random_numbers_let_kn_stop_sooner():
    """The same systems, with 80% of the variance common to all: the pairwise variances shrink, so KN needs fewer
    replications (the reason a search runs on common random numbers)."""
    used = {}
    for common in (0.0, 0.8):
        rng = np.random.default_rng(5)
        used[common] = sum(kim_nelson(normal_systems([0.0, 1.0, 1.0], 2.0, rng, common), 3, 10, 1.0, 0.05, 10_000)
                           .replications.sum() for _ in range(40))
    assert used[0.8] < 0.5 * used[0.0], used


def test_kn_eliminates_by_the_margin_it_states():
    """Two systems, first stage only: differences 3, 1, 2, 2 (variance 2/3), delta 1, alpha 0.05, n0 4:
    h^2 = 2 eta (n0 - 1), the margin at r = 4 is delta / (2r) (h^2 S^2 / delta^2 - r); system 1's mean 2 above
    system 0's is eliminated when 2 exceeds it, kept otherwise."""
    eta = kn_eta(2, 4, 0.05)
    h2, s2 = 2 * eta * 3, np.var([3, 1, 2, 2], ddof=1)
    margin = 1.0 / 8 * (h2 * s2 - 4)
    first = np.array([[0.0, 0.0, 0.0, 0.0], [3.0, 1.0, 2.0, 2.0]])
    extra = iter(np.array([[0.0], [2.0]]) for _ in range(10_000))

    def sample(ids, reps):
        return first[list(ids)][:, list(reps)] if reps.start == 0 else next(extra)[list(ids)]
    result = kim_nelson(sample, 2, 4, 1.0, 0.05)
    assert result.chosen == 0
    assert (result.eliminated_at[1] == 4) == (2.0 > margin)


def test_kn_stops_at_its_cap_and_says_so():
    rng = np.random.default_rng(3)
    result = kim_nelson(normal_systems([0.0, 0.01], 5.0, rng), 2, 5, delta=0.01, alpha=0.05, max_replications=20)
    assert result.stopped_at_cap and result.replications.max() == 20
    assert "no stated probability" in result.guarantee


def test_one_finalist_is_chosen_without_a_contest():
    result = kim_nelson(lambda ids, reps: np.zeros((len(ids), len(reps))), 1, 3, 1.0)
    assert result.chosen == 0 and not result.stopped_at_cap and "nothing to choose" in result.guarantee


@pytest.mark.parametrize("args", [(0, 10, 1.0), (3, 1, 1.0), (3, 10, 0.0)])
def test_kn_refuses_settings_without_meaning(args):
    with pytest.raises(ValueError, match="kim_nelson: need"):
        kim_nelson(lambda ids, reps: np.zeros((len(ids), len(reps))), *args)
