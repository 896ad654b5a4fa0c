"""The scenario: domain vocabulary, the validated schema (one module per section), YAML loading with
``extends``, the override language, cross-field checks and the errors a user can act on.

Layers inside: vocabulary, errors, distributions -> the sections -> scenario -> eligibility, checks ->
overrides -> loading. Everything outside imports from here."""

from simulation.scenario.catalog import Catalog
from simulation.scenario.demand import Promotion, Shock
from simulation.scenario.errors import DataError, ScenarioError, UsageError
from simulation.scenario.levels import Level
from simulation.scenario.loading import build_each, load_scenario, scenario_from_dict, with_overrides
from simulation.scenario.overrides import apply_overrides, parse_set_options, split_assignment
from simulation.scenario.policies import (
    BaseStockSpec,
    CalendarForecastSpec,
    FixedQuantitySpec,
    ForecastSpec,
    MinMaxSpec,
    OrderUpToSpec,
    PushSpec,
    ReorderQtySpec,
)
from simulation.scenario.scenario import Scenario
from simulation.scenario.vocabulary import (
    CENTRAL_CODE,
    CENTRAL_WAREHOUSE,
    CHANNELS,
    DAYS_PER_YEAR,
    FORWARD_CODE,
    FORWARD_WAREHOUSE,
    NODE_TYPES,
    ONLINE_CHANNELS,
    STORE,
    STORE_CODE,
    SUPPLIER,
    TIERS,
)

__all__ = [
    "CENTRAL_CODE",
    "CENTRAL_WAREHOUSE",
    "CHANNELS",
    "DAYS_PER_YEAR",
    "FORWARD_CODE",
    "FORWARD_WAREHOUSE",
    "NODE_TYPES",
    "ONLINE_CHANNELS",
    "STORE",
    "STORE_CODE",
    "SUPPLIER",
    "TIERS",
    "BaseStockSpec",
    "CalendarForecastSpec",
    "Catalog",
    "DataError",
    "FixedQuantitySpec",
    "ForecastSpec",
    "Level",
    "MinMaxSpec",
    "OrderUpToSpec",
    "Promotion",
    "PushSpec",
    "ReorderQtySpec",
    "Scenario",
    "ScenarioError",
    "Shock",
    "UsageError",
    "apply_overrides",
    "build_each",
    "load_scenario",
    "parse_set_options",
    "scenario_from_dict",
    "split_assignment",
    "with_overrides",
]
