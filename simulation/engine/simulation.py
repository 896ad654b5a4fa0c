"""The engine: one run of a scenario with one seed.

SimPy decides *when*; numba kernels (:mod:`simulation.kernels`) decide *how much*. Stock is one
:class:`~.state.InventoryState` (node x SKU integer arrays), orders one :class:`~.fulfilment.Fulfilment`;
each step of the day is a method of those (or of :class:`~.replenishment.Replenishment`) that says what it
writes. Observers (:mod:`.observers`) are told what happened and never write; the scenario is never written to.
The constructor compiles the scenario (:meth:`Simulation.sized_world`) and hands each part its section; from then
on every step reads the compiled :class:`~simulation.world.network.World` only.

Order of events within day ``d`` (SimPy time ``d + fraction``):

====== ==============================================================================================
0.00   calendar: promotions and shocks that start today take effect (those ending today lapse)
0.10   receipts: replenishment shipments due today arrive into on hand (and are in stock for today)
0.15   returns: online units customers send back move on through courier, inspection and (split) the reverse
       lane; those sellable again are restocked (``engine/returns.py``)
0.20   allocation: a node that supplies others and serves online orders keeps back from online orders what
       ``policies.allocation`` reserves for the nodes it supplies (``engine/allocation.py``); backorders: open
       online lines older than their channel's ``max_wait_days`` are cancelled; the rest are filled oldest
       first from on hand and queue for picking at opening time
0.50   demand: walk-in customers buy from store shelves (unmet demand is lost); online orders arrive
       through the day and are sourced in arrival order (``scenario/eligibility.py``: eligible nodes best first,
       today's picking quota per node, BOPIS at the store the customer picks); each (order, node)
       shipment queues for picking (first come first served over the node's pickers in opening hours, or
       with ``policies.picking: due_first`` the day's shipments earliest due first), leaves at the next
       carrier cut-off (parcels) and is delivered after its transit time; unfilled lines are
       backordered at their node or lost per channel
0.80   review epochs: each node class whose review period falls today is marked due
0.83   transfers: periodic rebalancing (between nodes of one type, top-ups from the node that supplies them,
       pull-backs to it) and, under a shock response plan, emergency transfers into shocked nodes
       (``policies/transfers.py``, ``policies/response.py``); they arrive at the start of day ``d + lead time``
0.85   replenishment: due nodes (and nodes a announced shock will hit, under a response plan), deepest
       first, order by their policy against inventory position (see :meth:`~.state.InventoryState.position`,
       less any pre-positioning target); a source rations its on hand among its children's requests
       (what it still owes them plus today's orders) and owes the rest, shipping it on a later day as
       stock comes in, whether or not the child reviews that day; shipments depart and arrive at the
       start of day ``d + L`` (L >= 1 whole days, sampled per day for each lane destination, stretched by shocks)
0.95   close: store records drift from the shelf (unrecorded loss, mis-recorded sales) and the day's
       counts set them right (``engine/records.py``), perishable stock ages and spoils, forecasts learn
       what today's records show (or, as an oracle, today's demand), the day is recorded
====== ==============================================================================================

Conservation is checked at the end of every run for every node and SKU:
``initial + received == sold + shipped out + spoiled + lost + on hand`` and, network-wide,
``initial + supplied + restocked == sold + spoiled + lost + on hand + in transit`` (lost: unrecorded store loss;
restocked: online returns sold again), and each SKU's returned units are pending, restocked or written off.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import simpy

from simulation.engine.allocation import ChannelAllocation
from simulation.engine.demand import Calendar, DrawnOrders, OrderGenerator, WalkIn
from simulation.engine.fulfilment import Fulfilment
from simulation.engine.observers import Observer, Observers, Spoilage
from simulation.engine.records import OnlineView, StoreRecords
from simulation.engine.replenishment import OwnPolicy, Replenishment
from simulation.engine.returns import ReverseFlow
from simulation.engine.sizing import PILOT_REPLICATION, ServedUnits, pilot_scenario
from simulation.engine.state import SERIAL, InventoryState
from simulation.engine.streams import make_streams
from simulation.engine.threads import Blocks, default_threads
from simulation.engine.walk_in_to_online import WalkInToOnline
from simulation.kernels import CLOSE_COLUMNS, close_day
from simulation.policies.response import emergency_moves
from simulation.policies.transfers import PULL_BACK, TOP_UP, Moves, rebalance_moves, transfer_day
from simulation.scenario import Scenario
from simulation.world.network import World, compile_world
from simulation.world.returns import compile_returns
from simulation.world.trace import replay

_PILOT_SHARES: dict[str, np.ndarray] = {}  # scenario digest -> the pilot's served shares (the latest that fit)
# A comparison's policies alternate on a worker, replication after replication: keep every one's pilot that fits
# (the pool ladder's 96 served-sizing policies hold 3 MB; a count of 16 had each replication rerun them all).
PILOT_BYTES_KEPT = 64 * 2**20

CALENDAR, RECEIVE, RETURNS, RELEASE, DEMAND, REVIEW, TRANSFER, REPLENISH, CLOSE = 0.0, 0.1, 0.15, 0.2, 0.5, 0.8, 0.83, 0.85, 0.95


class Simulation:
    """One run. Build, call :meth:`execute`, then read :attr:`state` (stock), :attr:`fulfilment` (the
    order book) and what the ``observers`` recorded."""

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0, world: World | None = None,
                 record_shipments: bool = False, threads: int | None = None, observers: Sequence[Observer] = ()):
        self.scenario = scenario
        self.threads = default_threads() if threads is None else int(threads)
        self.seed, self.replication = seed, replication
        self.world = w = world if world is not None else self.sized_world(scenario)
        self.horizon = scenario.run.horizon_days
        self.warmup = scenario.run.warmup_days
        self.observers = Observers(observers)
        self.streams = make_streams(seed, replication)
        self.env = simpy.Environment()
        self.calendar = Calendar(w)
        own = [OwnPolicy(n.id, n.type, n.replenishment, f"network.nodes[{i}].replenishment")
               for i, n in enumerate(scenario.network.nodes) if n.replenishment is not None]
        self.transfers, self.respond = scenario.policies.transfers, scenario.policies.shock_response == "respond"
        self.replenishment = Replenishment(scenario.replenishment, own, w, self.respond)
        self.state = InventoryState(self.replenishment.initial, w.source, w.skus.shelf_life_days)
        if self.replenishment.learns_from_sales:
            self.state.track_turned_away()
        self.freshest_first_share = scenario.catalog.freshest_first_share
        if self.freshest_first_share > 0:
            self.state.freshest_first = np.zeros(w.n_nodes)
            self.state.freshest_first[w.store_rows] = self.freshest_first_share
        plan = compile_returns(scenario, w)
        self.returns = ReverseFlow(plan, w, self.observers) if plan is not None else None
        self.fulfilment = Fulfilment(w, scenario.policies, self.horizon, self._lost, record_shipments, self.returns)
        self.allocation = ChannelAllocation(scenario.policies.allocation, w, self.replenishment)
        records = scenario.policies.store_records
        self.records = StoreRecords(w, records, self.streams["store_records"]) if records.active else None
        if self.records is not None:
            self.state.keep_records()
        self.view = OnlineView(w, records, self.streams["record_sync"], self.state)
        # Orders settle (leave the book for the observers) once no line can still ship.
        self.settle_days = int(w.channel_max_wait.max()) + 1
        self.placed_through: list[int] = []  # orders placed up to the end of each day
        self.order_generator = OrderGenerator(w) if len(w.zone_ids) else None
        trace = scenario.demand.trace
        self.trace = replay(scenario, w, self.horizon, self.streams["bootstrap"]) if trace is not None else None
        self.walk_in = WalkIn(w, seed, replication, self.trace if self.trace is not None and self.trace.has_sales else None)
        self.to_online = WalkInToOnline(scenario.policies.walk_in_to_online, w, self.order_generator, self.streams["recapture"])
        self.blocks: Blocks = SERIAL  # the thread pool while executing
        self.phase_seconds: dict[str, float] = {}
        self.wall_seconds = 0.0

    @classmethod
    def sized_world(cls, scenario: Scenario, force: bool = False) -> World:
        """The scenario's world, its online demand planned where ``replenishment.online_sizing`` says: at
        first choices, or where a pilot run of this engine served it (:mod:`.sizing`)."""
        if scenario.replenishment.online_sizing.rule == "first_choice":
            return compile_world(scenario, force)
        key = scenario.digest()
        if key not in _PILOT_SHARES:  # one pilot per scenario and process, whatever the replications
            pilot = pilot_scenario(scenario)
            world = compile_world(pilot, force)
            served = ServedUnits(world, pilot.run.warmup_days)
            cls(pilot, scenario.run.seed, PILOT_REPLICATION, world, threads=1, observers=[served]).execute()
            shares = served.shares(world)
            while _PILOT_SHARES and sum(a.nbytes for a in _PILOT_SHARES.values()) + shares.nbytes > PILOT_BYTES_KEPT:
                del _PILOT_SHARES[next(iter(_PILOT_SHARES))]  # a sweep moves on: forget the oldest
            _PILOT_SHARES[key] = shares
        return compile_world(scenario, force, served=_PILOT_SHARES[key])

    def _lost(self, day: int, rows, channels, margin) -> None:
        self.observers.online_lost(day, rows, channels, margin)

    # ------------------------------------------------------------------------------------ SimPy
    def execute(self) -> Simulation:
        start = time.perf_counter()
        env = self.env
        self.observers.started(self.world, self.state)
        for promo in self.world.calendar.promotions:
            env.process(self._window(promo, self.calendar.promotions))
        for shock in self.world.calendar.shocks:
            env.process(self._window(shock, self.calendar.shocks))
            env.process(self._window(shock, self.calendar.announced, notice=shock.warning_days))
        for cls, (_, policy) in self.replenishment.policies.items():
            env.process(self._review_epochs(cls, policy))
        env.process(self._days())
        self.blocks = Blocks(self.threads)
        try:
            env.run(until=self.horizon)
        finally:
            self.blocks.close()
            self.blocks = SERIAL
        self._settle(self.fulfilment.orders.count)
        self.check_conservation()
        self.wall_seconds = time.perf_counter() - start
        return self

    def _at(self, t: float):
        return self.env.timeout(max(0.0, t - self.env.now))

    def _window(self, event, active: list, notice: int = 0):
        if event.start_day >= self.horizon:  # a shortened run never reaches it
            return
        yield self._at(max(event.start_day - notice, 0) + CALENDAR)
        active.append(event)
        yield self._at(min(event.end_day, self.horizon) + CALENDAR)
        active.remove(event)

    def _review_epochs(self, cls: str, policy):
        day = policy.review_offset_days % policy.review_period_days
        while day < self.horizon:
            yield self._at(day + REVIEW)
            self.replenishment.due.add(cls)
            day += policy.review_period_days

    def _days(self):
        step, orders = self._step, self.fulfilment
        for day in range(self.horizon):
            if self.returns is not None:
                yield self._at(day + RETURNS)
                step("returns", "returns", self._move_returns, day)
            yield self._at(day + RELEASE)
            orders.open_day(day, self.calendar.node_capacity_factor())
            orders.reserved = self.allocation.reserved(self.state)
            self.view.open_day(day)
            step("backorders", "backorders", orders.release_backorders, day, self.state)
            yield self._at(day + DEMAND)
            batch = step("walk_in", "walk_in_and_order_draws", self._serve_walk_in, day, lambda day=day: self._draw_orders(day))
            step("online", "online_sourcing_and_picking", self._serve_online, day, batch)
            yield self._at(day + TRANSFER)
            step("transfers", "transfers", self._transfer, day)
            yield self._at(day + REPLENISH)
            step("replenishment", "replenishment", self._replenish, day)
            yield self._at(day + CLOSE)
            step("close_day", "close_day", self._close_day, day)
            self.placed_through.append(orders.orders.count)
            if day >= self.settle_days:
                self._timed("settle_orders", self._settle, self.placed_through[day - self.settle_days])

    def _step(self, name: str, phase: str, fn, day: int, *args):
        """One step of the day between the observers' step hooks, its wall time added to ``phase``."""
        self.observers.step_started(name, day, self.state)
        result = self._timed(phase, fn, day, *args)
        self.observers.step_finished(name, day, self.state)
        return result

    def _timed(self, phase: str, fn, *args):
        """Run ``fn``, adding its wall time to ``phase_seconds`` (where a run's time goes)."""
        start = time.perf_counter()
        result = fn(*args)
        self.phase_seconds[phase] = self.phase_seconds.get(phase, 0.0) + time.perf_counter() - start
        return result

    def _settle(self, through: int) -> None:
        """Orders with ids below ``through`` can no longer change: hand them to the observers."""
        book = self.fulfilment.orders
        n = through - book.base
        if n > 0:
            base = book.base
            self.observers.orders_settled(book.pop_front(n), base)

    def _move_returns(self, day: int) -> None:
        if self.returns is not None:  # scheduled only with returns
            self.returns.step(day, self.state, self.calendar.node_capacity_factor())

    def _arrive(self, when: float, rows, skus, qty):
        yield self._at(when)
        self.state.receive(rows, skus, qty)

    # ------------------------------------------------------------------------------------ demand
    def _serve_walk_in(self, day: int, while_serving=None):
        """Walk-in customers buy from store shelves (on the thread pool); ``while_serving()`` runs on
        this thread meanwhile (it must not touch stock) and its result is returned; this thread then serves
        the stores still waiting, so the stores and the other work share the cores whichever takes longer."""
        if self.to_online.active:
            self.to_online.before(self.state)
        self.view.before_walk_in(self.state)
        st, stores = self.state, self.world.store_rows
        turned_away = st.today_turned_away
        sold_before = st.today_sold[stores] if turned_away is not None and stores.size else None
        wait = self.walk_in.serve(self.calendar, day, st, self.blocks) if stores.size else None
        result = while_serving() if while_serving is not None else None
        if wait is not None:
            self.observers.walk_in_served(day, wait())
            self.observers.walk_in_wanted(day, self.walk_in.want)
            if turned_away is not None and sold_before is not None:  # shoppers the shelf could not serve: no till records them
                turned_away[stores] += self.walk_in.want - (st.today_sold[stores] - sold_before)
        self.view.after_walk_in(self.state)
        return result

    def _draw_orders(self, day: int) -> DrawnOrders | None:
        """Today's online orders and each line's draws (record check, picking work, used where a node's picking
        time is exponential, unsynced walk-in sales, returns), drawn for every line every day so the streams stay
        aligned across policies (common random numbers)."""
        if self.order_generator is None:
            return None
        if self.trace is not None and self.trace.has_orders:
            placed = self.trace.orders(day)
        else:
            placed = self.order_generator.placed(self.calendar, day, self.streams["online_orders"])
        self.observers.online_orders_placed(day, placed)
        batch = self.order_generator.arrange(placed, self.calendar, self.streams["transit"])
        lines = batch.line_qty.size
        return DrawnOrders(batch, fail_u=self.streams["records"].random(lines),
                           work=self.streams["picking"].exponential(size=lines), sync_u=self.view.line_uniforms(lines),
                           returns=self._return_draws(batch, "returns"))

    def _return_draws(self, batch, stream: str) -> np.ndarray:
        """Each line's return draws (none without returns); recaptured walk-in orders, which only policies with
        recapture have, draw from a stream of their own so the customers' draws stay aligned across policies."""
        if self.returns is None:
            return np.empty((batch.line_qty.size, 0))
        return self.returns.draws(self.streams[stream], batch.channel[batch.line_order])

    def _serve_online(self, day: int, drawn: DrawnOrders | None = None) -> None:
        """Source today's online orders (``drawn`` by :meth:`_draw_orders`, drawn here if not given)."""
        drawn = self._draw_orders(day) if drawn is None else drawn
        if self.to_online.active and self.world.store_rows.size:
            converted, per_store = self.to_online.convert(day, self.state, self.calendar.zone_transit_factor())
            self.observers.walk_in_converted(day, per_store)
            lines = converted.batch.line_qty.size
            converted = replace(converted, sync_u=self.streams["recapture"].random(lines) if self.view.lags else np.zeros(lines),
                                returns=self._return_draws(converted.batch, "recaptured_returns"))
            drawn = converted if drawn is None else drawn.merged(converted)
        if drawn is not None:
            self.fulfilment.serve(day, drawn, self.state, self.view.today(), self.view.syncs())

    # ------------------------------------------------------------------------------------ stock moves
    def _transfer(self, day: int) -> None:
        """Rebalancing and emergency transfers leave today and arrive after their lead time: the lateral lanes'
        ``lead_time_days``, or a replenishment lane's mean lead time (top-ups from a source, pull-backs to it)."""
        rule, w, respond = self.transfers, self.world, self.respond
        levels = self.replenishment.target_levels() if transfer_day(rule, day) else None
        moves = Moves.join([rebalance_moves(day, rule, w, self.state, self.blocks, levels),
                            emergency_moves(w, self.calendar, rule, respond, self.state, self.blocks)])
        closed = self.calendar.node_lanes_closed()
        if closed is not None:  # a shock that closes lanes stops transfers into and out of its nodes too
            moves = moves.keep(~(closed[moves.frm] | closed[moves.to]))
        if moves.qty.size == 0:
            return
        along_lane = np.where(moves.direction == TOP_UP, moves.to, moves.frm)  # the lane a source move rides
        on_lane = (moves.direction == TOP_UP) | (moves.direction == PULL_BACK)
        lead = np.where(on_lane, w.lane_lead_days[along_lane], rule.lead_time_days)
        cost = moves.qty * np.where(on_lane, w.lane_cost[along_lane], rule.cost_per_unit)
        self.state.send(moves.frm, moves.to, moves.sku, moves.qty)
        for days in np.unique(lead):
            at = lead == days
            self.env.process(self._arrive(day + int(days) + RECEIVE, moves.to[at], moves.sku[at], moves.qty[at]))
        self.observers.transferred(day, moves, cost)

    def _replenish(self, day: int) -> None:
        arrivals, lane_costs = self.replenishment.replenish(day, self.state, self.calendar, self.streams["lead_time"],
                                                            self.blocks, self.streams["forecast"])
        for shipped in lane_costs:
            self.observers.replenishment_shipped(day, shipped.rows, shipped.cost, shipped.requests)
        for arrival in arrivals:
            self.env.process(self._arrive(arrival.day + RECEIVE, arrival.rows, arrival.skus, arrival.units))

    def _freshest_first(self) -> np.ndarray | None:
        """Units of today's outflow of perishables that store shoppers took freshest first: Binomial(units,
        ``catalog.freshest_first_share``) per store and SKU (stream ``freshness``); None when the share is 0."""
        share = self.freshest_first_share
        if share == 0.0:
            return None
        st, stores = self.state, self.world.store_rows
        newest = np.zeros((st.shape[0], st.perishable.size), np.int64)
        gone = st.today_out[np.ix_(stores, st.perishable)]
        newest[stores] = self.streams["freshness"].binomial(gone, share)
        return newest

    def _close_day(self, day: int) -> None:
        """Store records drift and are counted, perishables age, forecasts learn today's demand, and the day's
        figures go to the observers."""
        st = self.state
        if self.records is not None:
            self.observers.records_closed(day, self.records.close(day, st))
        self.view.close(day)
        if st.perishable.size:
            spoiled = st.age(self._freshest_first())
            p = st.perishable
            self.observers.spoiled(day, Spoilage(value=spoiled @ self.world.skus.unit_cost[p], units=spoiled.sum(axis=1),
                                                 out=st.today_out[:, p].sum(axis=1), sold=st.today_sold[:, p].sum(axis=1)))
        if st.today_lost is not None:
            st.today_lost[:] = 0
        self.replenishment.learn(st)
        st.today_demand[:] = 0
        if st.today_turned_away is not None:
            st.today_turned_away[:] = 0
        per_node = np.zeros((self.world.n_nodes, len(CLOSE_COLUMNS)))
        stock = st.arrays
        self.blocks.map(lambda block: close_day(rows=np.arange(block.start, block.stop), stock=stock,
                                                unit_cost=self.world.skus.unit_cost, out=per_node),
                        self.world.n_nodes, st.on_hand.size)
        if self.returns is not None:
            self.observers.returns_closed(day, self.returns.in_flow())
        self.observers.day_closed(day, dict(zip(CLOSE_COLUMNS, per_node.T, strict=True)), st)

    def check_conservation(self) -> None:
        """Raise :class:`ConservationError` if any unit was created or destroyed (see the module docstring)."""
        self.state.check_conservation(self.world.node_ids, int(self.fulfilment.backorders["remaining"].sum()),
                                      self.returns.audit() if self.returns is not None else [])
