"""The validation cases: each builds small scenarios, runs the engine with fixed seeds and compares what
it measures with a reference: a closed form from :mod:`simulation.validation.theory`, a stockpyl function, or
stockpyl's own simulator (an independent implementation).

A check passes when the reference lies inside the simulated confidence interval (Student t over
independent replicates) at level PER_CHECK_LEVEL = 1 - (1 - JOINT_LEVEL) / MAX_CHECKS each, so that a
table of up to MAX_CHECKS checks holds at JOINT_LEVEL or more jointly (Bonferroni: at a plain 99% per check,
one check in a hundred would fail by chance alone); or, where the reference is an approximation, when
the simulated mean lies within a stated tolerance whose reason is written beside it. Each check also
states its power: the smallest true difference it detects with probability POWER. Replicates are
identical SKUs of one run (independent demand streams, see :mod:`simulation.validation.probe`) or, where demand is
shared across SKUs, independent replications of a one-SKU run.

Rows that compare one closed form with another never run the engine: they are *theory cross-checks*
(``engine=False``), published apart and not counted among the simulation checks.
"""

from simulation.experiment.stats import t_quantile
from simulation.validation.cases import mechanisms, networks, pooling, search, single_node  # noqa: F401  (importing registers their cases)
from simulation.validation.cases.checks import JOINT_LEVEL, MAX_CHECKS, PER_CHECK_LEVEL, POWER, REGISTERED, Check, interval
from simulation.validation.cases.worlds import copies, with_stores

# The published order: one stock point, pooling, networks and queues, the pool's mechanisms, then the policy search;
# a module's cases as written.
MODULES = ("single_node", "pooling", "networks", "mechanisms", "search")
CASES = dict(sorted(REGISTERED.items(), key=lambda item: MODULES.index(item[1].__module__.rpartition(".")[2])))

__all__ = ["CASES", "JOINT_LEVEL", "MAX_CHECKS", "PER_CHECK_LEVEL", "POWER", "Check", "copies", "interval", "t_quantile",
           "with_stores"]
