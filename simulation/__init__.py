"""Inventory and fulfilment simulation of a retail network (central warehouse -> forward warehouses ->
stores) under multi-channel demand. ``load_scenario`` + ``run`` are the whole API for one run;
``compare`` pairs policies on common random numbers, ``sweep`` runs a grid of parameters and ``optimize`` searches them
for the least KPI that meets service targets; ``fit`` fits the
demand model to an analyst's sales history and order log, ``record_history`` writes a run's demand in those formats."""

from simulation.engine import ConservationError
from simulation.experiment.compare import compare
from simulation.experiment.optimize import optimize
from simulation.experiment.results import RunResult
from simulation.experiment.run import run
from simulation.experiment.sweep import sweep
from simulation.history.fitted import fit
from simulation.history.record import record_history
from simulation.reporting.report import report
from simulation.scenario import Scenario, ScenarioError, UsageError, load_scenario, scenario_from_dict, with_overrides
from simulation.version import __version__

__all__ = ["ConservationError", "RunResult", "Scenario", "ScenarioError", "UsageError", "__version__", "compare", "fit", "load_scenario",
           "optimize", "record_history", "report", "run", "scenario_from_dict", "sweep", "with_overrides"]
