"""Numba kernels: the per-SKU and per-order arithmetic of the engine, one module per step of the day.

Every kernel takes arrays and scalars only (no SimPy, pandas or Python objects), is compiled once and
cached on disk (``cache=True``), and has a plain NumPy/Python reference in ``tests/unit/test_kernels.py``.
One exception draws random numbers inside: ``walk_in_store`` (and its test twin ``negative_binomial_draws``)
takes the store's own ``numpy.random.Generator``, because a negative-binomial draw above
``INVERSION_MAX_MEAN`` is a gamma-Poisson mixture that consumes a variable number of values from the
stream, so it cannot be pre-drawn as a fixed array of uniforms without changing every draw; each store
keeps its own stream (``engine/streams.py``), so the draws do not depend on threads or on policy.
Kernels that update stock say so: they write into the ``on_hand`` (or ``cohorts``) array passed in
and return what they did, so the caller owns all state.

Every ``@njit`` in the package lives here. Results leave a kernel by name: a result of several parts is a
NamedTuple defined beside its kernel (``Shipments``, ``Sourced``, ``Matched``, ``WalkInSales``, ``Overdispersion``;
numba builds and returns them natively), and the columns of a result table are named by constant tuples
(``CLOSE_COLUMNS``, ``SETTLE_SUMS``, ``REQUEST_COLUMNS``, ``WALK_IN_COLUMNS``). The online platform's view of store
stock travels into the sourcing kernel as one ``PlatformView`` (with its ``Syncs`` when walk-in sales reach it
late); inputs that travel together are bundled likewise (``Stock``: the run's stock arrays; ``OrderLines``: a day's
orders), and callers name every other argument.
"""

from simulation.kernels.baskets import line_skus, lines_in_order
from simulation.kernels.closing import CLOSE_COLUMNS, age_stock, close_day
from simulation.kernels.ordering import (
    REQUEST_COLUMNS,
    Shipments,
    censored_moments,
    fill_requests,
    forecast_levels,
    order_fixed_quantity,
    order_min_max,
    order_reorder_qty,
    order_up_to,
    position_rows,
    receive,
    round_orders,
    smooth_forecast,
    smooth_forecast_from_sales,
)
from simulation.kernels.picking import (
    SETTLE_COUNTS,
    SETTLE_RESOLVED,
    SETTLE_SUMS,
    book_shipments,
    pick_orders,
    pick_orders_due_first,
    settle_sums,
)
from simulation.kernels.records import (
    PlatformView,
    Syncs,
    binomial_inverse,
    carry_unseen,
    drift_records,
    exact_view,
    poisson_inverse,
    unseen_units,
    unsynced_units,
    walk_in_share,
)
from simulation.kernels.returns import return_draws
from simulation.kernels.selling import (
    INVERSION_MAX_MEAN,
    WALK_IN_COLUMNS,
    WalkInSales,
    negative_binomial_draw,
    negative_binomial_draws,
    serve_walk_in,
    walk_in_store,
)
from simulation.kernels.sizing import fill_rate_levels
from simulation.kernels.sourcing import OrderLines, Sourced, allocate_lines, source_orders
from simulation.kernels.stock import Stock, empty_stock
from simulation.kernels.transfers import Matched, match_transfers

__all__ = [
    "CLOSE_COLUMNS",
    "INVERSION_MAX_MEAN",
    "REQUEST_COLUMNS",
    "SETTLE_COUNTS",
    "SETTLE_RESOLVED",
    "SETTLE_SUMS",
    "WALK_IN_COLUMNS",
    "Matched",
    "OrderLines",
    "PlatformView",
    "Shipments",
    "Sourced",
    "Stock",
    "Syncs",
    "WalkInSales",
    "age_stock",
    "allocate_lines",
    "binomial_inverse",
    "book_shipments",
    "carry_unseen",
    "censored_moments",
    "close_day",
    "drift_records",
    "empty_stock",
    "exact_view",
    "fill_rate_levels",
    "fill_requests",
    "forecast_levels",
    "line_skus",
    "lines_in_order",
    "match_transfers",
    "negative_binomial_draw",
    "negative_binomial_draws",
    "order_fixed_quantity",
    "order_min_max",
    "order_reorder_qty",
    "order_up_to",
    "pick_orders",
    "pick_orders_due_first",
    "poisson_inverse",
    "position_rows",
    "receive",
    "return_draws",
    "round_orders",
    "serve_walk_in",
    "settle_sums",
    "smooth_forecast",
    "smooth_forecast_from_sales",
    "source_orders",
    "unseen_units",
    "unsynced_units",
    "walk_in_share",
    "walk_in_store",
]
