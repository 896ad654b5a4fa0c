"""Inventory and fulfilment simulation of a retail network (central warehouse -> forward warehouses ->
stores) under multi-channel demand. ``load_scenario`` + ``run`` are the whole API for one run."""

__version__ = "0.1.0"

from .api import run
from .engine import ConservationError
from .results import RunResult
from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict, with_overrides

__all__ = ["ConservationError", "RunResult", "Scenario", "ScenarioError", "__version__", "load_scenario", "run",
           "scenario_from_dict", "with_overrides"]
