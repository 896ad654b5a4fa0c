"""The day's close: per node end-of-day stock and flow sums, and perishable ageing."""

from __future__ import annotations

import numpy as np
from numba import njit

# close_day's output columns, by name (the ledger reads them by these names).
CLOSE_COLUMNS = ("on_hand_units", "on_hand_value", "in_transit_units", "backordered_units", "stockout_days", "stocked",
                 "sold_units", "outflow_units", "outflow_value", "sold_value", "spoiled_units")
(ON_HAND_UNITS, ON_HAND_VALUE, IN_TRANSIT_UNITS, BACKORDERED_UNITS, STOCKOUT_DAYS, STOCKED, SOLD_UNITS, OUTFLOW_UNITS,
 OUTFLOW_VALUE, SOLD_VALUE, SPOILED_UNITS) = range(len(CLOSE_COLUMNS))


@njit(cache=True, nogil=True)
def close_day(rows, stock, unit_cost, out):
    """End of day for nodes ``rows`` of ``stock`` (a :class:`~.stock.Stock`): add today's flows into the run totals,
    clear them, and write per node the ledger's figures into ``out`` (columns ``CLOSE_COLUMNS``). Releases the GIL:
    blocks of rows run on parallel threads."""
    on_hand, pipeline, backordered, stocked, spoiled = stock.on_hand, stock.pipeline, stock.backordered, stock.stocked, stock.spoiled
    today_in, today_out, today_sold = stock.today_in, stock.today_out, stock.today_sold
    received, outflow, sold = stock.received, stock.outflow, stock.sold
    k_count = on_hand.shape[1]
    for i in rows:
        units = value = transit = waiting = empty = kept = sold_units = out_units = out_value = sold_value = lost = 0.0
        for k in range(k_count):
            stock = on_hand[i, k]
            units += stock
            value += stock * unit_cost[k]
            transit += pipeline[i, k]
            waiting += backordered[i, k]
            if stocked[i, k]:
                kept += 1
                if stock == 0:
                    empty += 1
            sold_units += today_sold[i, k]
            out_units += today_out[i, k]
            out_value += today_out[i, k] * unit_cost[k]
            sold_value += today_sold[i, k] * unit_cost[k]
            lost += spoiled[i, k]
            received[i, k] += today_in[i, k]
            outflow[i, k] += today_out[i, k]
            sold[i, k] += today_sold[i, k]
            today_in[i, k] = 0
            today_out[i, k] = 0
            today_sold[i, k] = 0
        out[i, ON_HAND_UNITS], out[i, ON_HAND_VALUE], out[i, IN_TRANSIT_UNITS] = units, value, transit
        out[i, BACKORDERED_UNITS], out[i, STOCKOUT_DAYS], out[i, STOCKED] = waiting, empty, kept
        out[i, SOLD_UNITS], out[i, OUTFLOW_UNITS], out[i, OUTFLOW_VALUE] = sold_units, out_units, out_value
        out[i, SOLD_VALUE], out[i, SPOILED_UNITS] = sold_value, lost


@njit(cache=True)
def age_stock(cohorts, shelf_life, received, outflow, newest):
    """End-of-day ageing of perishable stock.

    ``cohorts[n, p, a]`` are units of perishable SKU p at node n that have been there ``a`` full days.
    Today's receipts join age 0; of today's outflow, ``newest[n, p]`` units are taken freshest first
    (shoppers reaching to the back of the shelf) and the rest oldest first (first-expiry-first-out);
    units that have now been at the node ``shelf_life[p]`` days spoil, and the rest grow one day older.
    Returns spoiled units per (node, perishable SKU).
    """
    n_nodes, n_skus, _ = cohorts.shape
    spoiled = np.zeros((n_nodes, n_skus), np.int64)
    for n in range(n_nodes):
        for p in range(n_skus):
            life = shelf_life[p]
            cohorts[n, p, 0] += received[n, p]
            fresh = min(newest[n, p], outflow[n, p])
            a = 0
            while fresh > 0 and a < life:
                take = min(fresh, cohorts[n, p, a])
                cohorts[n, p, a] -= take
                fresh -= take
                a += 1
            need = outflow[n, p] - min(newest[n, p], outflow[n, p]) + fresh
            a = life - 1
            while need > 0 and a >= 0:
                take = min(need, cohorts[n, p, a])
                cohorts[n, p, a] -= take
                need -= take
                a -= 1
            spoiled[n, p] = cohorts[n, p, life - 1]
            for a in range(life - 1, 0, -1):
                cohorts[n, p, a] = cohorts[n, p, a - 1]
            cohorts[n, p, 0] = 0
    return spoiled
