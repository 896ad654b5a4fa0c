"""The replenishment step: each node class's policy, its review epochs, and the day's orders and shipments
(deepest rows first; a short source rations among its children and owes them the rest)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulation import kernels
from simulation.engine.state import SERIAL, InventoryState
from simulation.engine.threads import Blocks
from simulation.policies.levels import Planning, segments
from simulation.policies.replenishment import CalendarView, Today, build_policy, combined
from simulation.policies.response import preposition
from simulation.scenario import DAYS_PER_YEAR, NODE_TYPES, STORE_CODE
from simulation.scenario.policies import ReplenishmentSettings
from simulation.world.network import World, lead_days


class Arrival(NamedTuple):
    """Units shipped today that arrive together on ``day``."""

    day: int
    rows: np.ndarray
    skus: np.ndarray
    units: np.ndarray


class LaneShipments(NamedTuple):
    """What one source shipped today: the rows it shipped to, each one's lane cost and (a source other than the
    supplier; else None) each row's units asked today and of them shipped today."""

    rows: np.ndarray
    cost: np.ndarray
    requests: np.ndarray | None


class OwnPolicy(NamedTuple):
    """A node's own replenishment policy (``network.nodes[i].replenishment``), in place of its class's."""

    node_id: str
    node_type: str
    spec: object   # the policy's settings
    path: str      # where the scenario sets it, for errors


class Replenishment:
    """The replenishment policy of each group of rows (a node class; in split mode the central warehouses'
    online stock when it has a policy of its own; a node with its own policy, as group ``node <id>``), which
    groups review today, and the step that orders and ships. :attr:`initial` is the stock the policies start from.
    ``settings`` is the scenario's replenishment section; ``respond``: shocks are met by the response plan
    (``policies.shock_response``)."""

    def __init__(self, settings: ReplenishmentSettings, own: list[OwnPolicy], world: World, respond: bool = False):
        w = self.world = world
        self.policies: dict[str, tuple[np.ndarray, object]] = {}
        self.group = np.zeros(w.n_nodes, np.int64)       # each row's policy: an index into self.policies
        self.class_row = np.zeros(w.n_nodes, np.int64)   # each row's index among its group's rows
        self.initial = np.zeros((w.n_nodes, w.skus.size), np.int64)
        groups = {cls: np.flatnonzero(w.node_type == code) for code, cls in enumerate(NODE_TYPES)}
        specs = {name: (getattr(settings, name), f"replenishment.{name}") for name in groups}
        holding_per_day = w.holding_rate_per_year / DAYS_PER_YEAR * w.skus.unit_cost
        online_part = settings.online_stock
        if online_part is not None and w.online_rows.size:
            groups["central_warehouse"] = np.setdiff1d(groups["central_warehouse"], w.online_rows)
            groups["online_stock"] = w.online_rows
            specs["online_stock"] = (online_part, "replenishment.online_stock")
        for node in own:  # a node's own policy: a group of its own
            rows = w.node_rows[node.node_id]
            groups[node.node_type] = np.setdiff1d(groups[node.node_type], rows)
            groups[f"node {node.node_id}"] = rows
            specs[f"node {node.node_id}"] = (node.spec, node.path)
        for name, rows in groups.items():
            if rows.size == 0:
                continue
            self.group[rows], self.class_row[rows] = len(self.policies), np.arange(rows.size)
            spec, path = specs[name]
            policy = self._build(path, rows, spec, w.planning_mean[rows], w.planning_var[rows], holding_per_day)
            if name == "central_warehouse" and w.planning_online is not None and online_part != spec:
                # One stock, two plans (pool mode): the part of the warehouse's demand its stores bring by its own
                # rule, its online part by the online stock's; the levels add.
                mean, var = (part[rows] for part in w.planning_online)
                stores = self._build(path, rows, spec, np.maximum(w.planning_mean[rows] - mean, 0.0),
                                     np.maximum(w.planning_var[rows] - var, 0.0), holding_per_day)
                policy = combined(stores, self._build("replenishment.online_stock", rows, online_part, mean, var,
                                                      holding_per_day))
            self.policies[name] = (rows, policy)
            self.initial[rows] = policy.initial_stock()
        self.names = list(self.policies)
        self.learns_from_sales = any(policy.learns and getattr(policy, "from_sales", False) for _, policy in self.policies.values())
        # Rows that can turn customers away, so that an empty record may hide lost demand: stores, and nodes
        # serving an online channel that loses what it cannot fill.
        self.censors = np.zeros(w.n_nodes, bool)
        self.censors[w.store_rows] = True
        lost = ~w.channel_backorders
        self.censors[np.unique(w.cand_node[:, lost][w.cand_node[:, lost] >= 0])] = True
        # Ranging: a store never stocks or orders a SKU outside its range.
        self.store_of_row = np.full(w.n_nodes, -1, np.int64)
        self.store_of_row[w.store_rows] = np.arange(w.store_rows.size)
        if w.ranged is not None:
            self.initial[w.store_rows] *= w.ranged
        self.order_costs = bool(w.lane_order_cost.any())
        self.due: set[str] = set()  # node classes whose review epoch is today
        skus = w.skus
        # Lot rules (case packs, minimum orders) apply only where some lane or SKU has one: the default
        # world orders exactly what its policies want, without a pass over the orders.
        self.lot_rules = bool((w.lane_cases & (skus.case_pack > 1).any()).any() or w.lane_min_units.any()
                              or ((w.source < 0).any() and skus.min_order_units.any()))
        self.proportional = settings.rationing != "priority"
        self.respond = respond

    def _build(self, path: str, rows: np.ndarray, spec, mean, var, holding_per_day):
        """The policy ``spec`` (at ``path``, named in errors) for ``rows``, planned on daily demand ``mean`` and ``var``."""
        w = self.world
        targets, segment = segments(spec.targets(), spec.group_targets(), w.skus, path)
        plan = Planning(mean, var, w.mean_lead_days[rows], w.var_lead_days[rows], w.lane_order_cost[rows], holding_per_day,
                        segment)
        # A display minimum: the group's own for every SKU; stores also the catalog's per SKU (facings).
        facings = w.skus.presentation_units if (w.node_type[rows] == STORE_CODE).all() else np.zeros(w.skus.size, np.int64)
        local = {r: i for i, r in enumerate(rows)}
        view = CalendarView(w.calendar, w.skus, w.planning_channel_share[rows],
                            [(shock, np.array([local[r] for n in shock.nodes for r in w.node_rows[n] if r in local], np.int64))
                             for shock in w.calendar.shocks])
        return build_policy(spec, plan, path, np.maximum(facings, spec.presentation_units), view, targets)

    def replenish(self, day: int, state: InventoryState, calendar, lead_stream: np.random.Generator,
                  blocks: Blocks = SERIAL, forecast_stream: np.random.Generator | None = None) -> tuple[list, list]:
        """Due rows (and rows an announced shock will hit, under a response plan) order by their policy
        against inventory position less any pre-positioning target; every row with an order or a debt
        is then shipped what its source can spare (writes on_hand, owed, pipeline, supplied, today_out,
        today_demand). Returns the :class:`Arrival` s and the :class:`LaneShipments` per source."""
        w = self.world
        # Drawn every day, shipments or not, so lead times line up across policies (common random numbers).
        lead = w.sample_lead_days(lead_stream)
        stretch = calendar.node_lead_time_factor()
        stretch = np.maximum(stretch, np.where(w.source >= 0, stretch[np.maximum(w.source, 0)], 1.0))
        lead = np.where(stretch[:, None] > 1, lead_days(np.ceil(lead * stretch[:, None])), lead)
        due, extra = preposition(w, calendar, self.respond)
        for cls in [c for c in self.names if c in self.due]:  # in a fixed order: forecasts draw from one stream
            rows, policy = self.policies[cls]
            due[rows] = True
            if getattr(policy, "sees_calendar", False):  # a calendar forecast looks ahead at its reviews
                policy.look_ahead(day, forecast_stream)
        self.due.clear()
        owing = state.owed.any(axis=1)
        arrivals: list[Arrival] = []
        lane_costs: list[LaneShipments] = []
        closed = calendar.node_lanes_closed()
        for depth in range(int(w.depth.max()), 0, -1):
            rows = np.flatnonzero((due | owing) & (w.depth == depth))
            if rows.size:
                self._order_and_ship(day, rows, due[rows], lead, extra, state, blocks, arrivals, lane_costs, closed)
        return arrivals, lane_costs

    def _order_and_ship(self, day, rows, ordering, lead, extra, state, blocks, arrivals, lane_costs, closed=None) -> None:
        """Rows with ``ordering`` set order by their policy; every row's source then ships what it can
        of what it owes the row plus today's order, unless a shock has ``closed`` the row's or the
        source's lanes: then the order waits, owed."""
        w = self.world
        position = state.position(rows, blocks)
        if extra is not None:
            position -= extra[rows]
        wanted = self._wanted(rows, ordering, position)
        if self.lot_rules:
            kernels.round_orders(wanted=wanted, cases=w.lane_cases[rows], lane_min=w.lane_min_units[rows],
                                 supplier_fed=w.source[rows] < 0, case_pack=w.skus.case_pack, supplier_min=w.skus.min_order_units)
        sources = w.source[rows]
        for parent in np.unique(sources):
            kids = np.flatnonzero(sources == parent)
            asked = mine = wanted if kids.size == rows.size else wanted[kids]
            if closed is not None:
                shut = closed[rows[kids]] | (parent >= 0 and closed[parent])
                if shut.any():
                    self._hold(rows[kids[shut]], asked[shut], parent, state)
                    held = rows[kids[shut]]
                    cost = (asked[shut] > 0).sum(axis=1) * w.lane_order_cost[held] if self.order_costs else np.zeros(held.size)
                    requests = np.column_stack([asked[shut].sum(axis=1), np.zeros(held.size, np.int64)]) if parent >= 0 else None
                    lane_costs.append(LaneShipments(held, cost, requests))
                    kids, asked = kids[~shut], asked[~shut]
                    mine = asked  # fill_requests ships only what the open lanes ask
                    if kids.size == 0:
                        continue
            rank = np.argsort(w.priority[rows[kids]], kind="stable")
            parts = blocks.map(lambda block, kids=kids, mine=mine, rank=rank, parent=parent: kernels.fill_requests(
                rows=rows[kids], wanted=mine, parent=parent, stock=state.arrays, rank=rank, proportional=self.proportional,
                k_first=block.start, k_stop=block.stop), w.skus.size, mine.size)
            r, k, units = (np.concatenate([getattr(part, f) for part in parts]) for f in ("row", "sku", "units"))
            per_row = dict(zip(kernels.REQUEST_COLUMNS, np.sum([part.per_row for part in parts], axis=0).T, strict=True))
            shipped = per_row["shipped"]
            cost = shipped * w.lane_cost[rows[kids]] + (shipped > 0) * w.lane_ship_cost[rows[kids]]
            if self.order_costs:  # a fixed cost per SKU ordered today on the lane
                cost = cost + (asked > 0).sum(axis=1) * w.lane_order_cost[rows[kids]]
            requests = np.column_stack([per_row["asked"], per_row["shipped_on_day"]]) if parent >= 0 else None
            lane_costs.append(LaneShipments(rows[kids], cost, requests))
            to = rows[kids][r]
            row_lead = lead[to, w.skus.supplier[k]]
            # Shipments grouped by arrival day, each group in shipping order (numpy radix-sorts 16-bit keys: 9x faster).
            by_lead = np.argsort(row_lead.astype(np.int16) if row_lead.size and row_lead.max() < 2**15 else row_lead, kind="stable")
            ends = np.flatnonzero(np.diff(row_lead[by_lead])) + 1
            for mine in np.split(by_lead, ends) if by_lead.size else []:
                arrivals.append(Arrival(day + int(row_lead[mine[0]]), to[mine], k[mine], units[mine]))

    def _wanted(self, rows: np.ndarray, ordering: np.ndarray, position: np.ndarray) -> np.ndarray:
        """What rows with ``ordering`` set order by their policies at ``position`` (none outside a store's range)."""
        w = self.world
        groups = np.unique(self.group[rows[ordering]])
        if ordering.all() and groups.size == 1:  # the usual case: no copies of [rows, SKUs] arrays
            wanted = self.policies[self.names[groups[0]]][1].order_quantities(self.class_row[rows], position)
        else:
            wanted = np.zeros_like(position)
            for g in groups:
                members = ordering & (self.group[rows] == g)
                policy = self.policies[self.names[g]][1]
                wanted[members] = policy.order_quantities(self.class_row[rows[members]], position[members])
        if w.ranged is not None:
            store = self.store_of_row[rows]
            at_store = store >= 0
            wanted[at_store] *= w.ranged[store[at_store]]
        return wanted

    def target_levels(self) -> np.ndarray:
        """Every row's order-up-to level per SKU as its policy holds it now (what it orders up to from nothing;
        0 outside a store's range)."""
        rows = np.arange(self.world.n_nodes)
        return self._wanted(rows, np.ones(rows.size, bool), np.zeros((rows.size, self.world.skus.size), np.int64))

    def open_need(self, rows: np.ndarray, state: InventoryState) -> np.ndarray:
        """What ``rows`` would order if they reviewed now (before lot rules): their open need."""
        return self._wanted(rows, np.ones(rows.size, bool), state.position(rows))

    @staticmethod
    def _hold(rows, wanted, parent, state: InventoryState) -> None:
        """Orders on a closed lane: owed by the source (in the rows' position, as any debt), asked of it today."""
        state.owed[rows] += wanted
        if parent >= 0:
            state.today_demand[parent] += wanted.sum(axis=0)

    def learn(self, state: InventoryState) -> None:
        """Forecasting policies learn the day at their rows: what the records show, or the demand (an oracle)."""
        none = np.zeros((0, 0), np.int64)  # records exact; nothing turned away is counted (no policy learns from sales)
        today = Today(state.today_demand, none if state.today_turned_away is None else state.today_turned_away, state.on_hand,
                      none if state.record_gap is None else state.record_gap, self.censors)
        for rows, policy in self.policies.values():
            if policy.learns:
                policy.observe(rows, today)
