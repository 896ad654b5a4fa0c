"""Closed-form inventory results the simulator is validated against.

Sequence of events (the engine's convention): a review at the end of day t orders up to the
inventory position S; the order arrives at the start of day t + L, before that day's demand. So the net
inventory at the end of a day is S minus the demand of the last L days, and the *protection period*
is L days (for daily review; L + R - 1 days for review period R).

Mapping to other conventions, used by the validation suite (:mod:`simulation.validation.cases`):

* stockpyl's simulator and serial-system formulas: its shipment lead time L is the engine's L (both
  protect L periods of demand);
* periodic models with zero lead time (stockpyl ``ss``, the newsvendor, Zheng & Federgruen): the
  engine with L = 1 (the order placed tonight is on the shelf before tomorrow's demand);
* continuous-review (r, Q) with lead time L (stockpyl ``rq``): the engine's daily review with lead
  time L, since the position after review is uniform on r+1..r+Q in both and net stock is IP - D_L.

Symbols: lambda (or m) mean daily demand, D_n demand over n days, S base stock, L lead time in days.
"""

from simulation.validation.theory.allocation import AllocationPerformance, two_class_allocation
from simulation.validation.theory.losses import discrete_loss, negative_binomial_pmf, normal_loss, poisson_loss, poisson_pmf
from simulation.validation.theory.networks import (
    ClarkScarf,
    Pooling,
    SerialPerformance,
    clark_scarf_poisson,
    eppen_safety_stock,
    serial_two_echelon_poisson,
)
from simulation.validation.theory.queues import erlang_c, mmc_number_in_system, mmc_sojourn_hours
from simulation.validation.theory.records import record_accuracy_poisson
from simulation.validation.theory.returns import base_stock_poisson_returns
from simulation.validation.theory.single_node import (
    Newsvendor,
    ReorderPerformance,
    StockPerformance,
    base_stock_for_cycle_service,
    base_stock_for_fill_rate,
    base_stock_negative_binomial,
    base_stock_normal,
    base_stock_poisson,
    fixed_quantity_poisson,
    lost_sales_base_stock_poisson,
    min_max_poisson,
    newsvendor_cost_poisson,
    newsvendor_poisson,
    reorder_point_poisson,
    shared_stock_priority_fill,
    stock_for_empty_share,
)

__all__ = ["AllocationPerformance", "ClarkScarf", "Newsvendor", "Pooling", "ReorderPerformance", "SerialPerformance", "StockPerformance",
           "base_stock_for_cycle_service", "base_stock_for_fill_rate", "base_stock_negative_binomial", "base_stock_normal",
           "base_stock_poisson", "base_stock_poisson_returns", "clark_scarf_poisson", "discrete_loss", "eppen_safety_stock", "erlang_c",
           "fixed_quantity_poisson", "lost_sales_base_stock_poisson", "min_max_poisson", "mmc_number_in_system", "mmc_sojourn_hours",
           "negative_binomial_pmf", "newsvendor_cost_poisson", "newsvendor_poisson", "normal_loss", "poisson_loss",
           "poisson_pmf", "record_accuracy_poisson", "reorder_point_poisson", "serial_two_echelon_poisson",
           "shared_stock_priority_fill", "stock_for_empty_share", "two_class_allocation"]
