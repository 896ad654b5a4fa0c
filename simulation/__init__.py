"""Inventory and fulfilment simulation of a retail network (central warehouse -> forward warehouses ->
stores) under multi-channel demand. ``load_scenario`` + ``run`` are the whole API for one run;
``compare`` pairs policies on common random numbers and ``sweep`` runs a grid of parameters."""

__version__ = "0.1.0"

from .api import run
from .compare import compare
from .engine import ConservationError
from .report import report
from .results import RunResult
from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict, with_overrides
from .sweep import sweep

__all__ = ["ConservationError", "RunResult", "Scenario", "ScenarioError", "__version__", "compare", "load_scenario", "report",
           "run", "scenario_from_dict", "sweep", "with_overrides"]
