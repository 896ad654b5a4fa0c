"""What a check is and how it is computed: the levels, the interval and power of a check, and the
registry of cases (filled by ``@case`` in the case modules; the package orders them as ``CASES``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from simulation.experiment.stats import t_quantile

SEED = 20261124
BATCHES = 40
SAMPLE_HOURS = 0.1   # how often the picking-queue check counts the orders at a node
OWMR_COPIES = 800    # engine replicates against stockpyl's simulator (its own are stored: peers.py)
JOINT_LEVEL = 0.99     # the level the whole table holds at
MAX_CHECKS = 150       # the most simulation checks that level is split over (Bonferroni; room for the cases to come)
PER_CHECK_LEVEL = 1 - (1 - JOINT_LEVEL) / MAX_CHECKS
TAIL = (1 - PER_CHECK_LEVEL) / 2   # two-sided, per check
POWER = 0.80           # a check's power is the smallest true difference it detects this often
REGISTERED: dict[str, Callable[[], list[Check]]] = {}  # by @case, in import order (see the package's CASES)


@dataclass(frozen=True)
class Check:
    group: str          # the family of systems
    system: str         # the system and its parameters, in one line
    quantity: str
    reference: float
    source: str         # where the reference comes from
    mean: float         # simulated mean
    half_width: float   # of the confidence interval (of the difference, against a simulated reference)
    std_error: float
    replicates: str
    tolerance: float | None = None  # set where the reference is an approximation
    why: str = ""
    detectable: float = math.nan    # smallest true difference detected with probability POWER
    engine: bool = True             # False: a theory cross-check that never runs the engine
    floor: bool = False             # the reference is a floor: pass when the one-sided upper bound reaches it

    @property
    def passed(self) -> bool:
        if self.floor:
            return bool(self.mean + self.half_width >= self.reference)
        allowed = self.half_width if self.tolerance is None else self.tolerance
        return bool(abs(self.mean - self.reference) <= allowed)

    @property
    def score(self) -> float:
        """Distance from the reference in standard errors."""
        return abs(self.mean - self.reference) / self.std_error if self.std_error > 0 else float("nan")


def spread(se: float, df: float) -> dict:
    """Half-width of the per-check interval, standard error and power of an estimate with ``df`` degrees
    of freedom: a true difference d is detected with probability about POWER when
    d >= (t_{1 - TAIL} + z_POWER) se."""
    t = t_quantile(1 - TAIL, df)
    return {"half_width": t * se, "std_error": se, "detectable": (t + NormalDist().inv_cdf(POWER)) * se}


def interval(samples) -> tuple[float, dict]:
    """Mean and :func:`spread` over independent replicates."""
    x = np.asarray(samples, float)
    return float(x.mean()), spread(float(x.std(ddof=1)) / math.sqrt(x.size), x.size - 1)


def difference(a, b) -> dict:
    """:func:`spread` of mean(a) - mean(b), independent samples (Welch's degrees of freedom)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return spread(math.sqrt(va + vb), df)


def check(group, system, quantity, reference, source, samples, replicates, **approx) -> Check:
    mean, s = interval(samples)
    return Check(group, system, quantity, float(reference), source, mean, replicates=replicates, **s, **approx)


def case(name: str):
    def register(fn):
        REGISTERED[name] = fn
        return fn
    return register
