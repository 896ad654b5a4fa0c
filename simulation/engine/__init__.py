"""The engine: run state, random streams, demand, orders, threads and the SimPy day."""

from simulation.engine.fulfilment import next_cutoff
from simulation.engine.observers import Observer
from simulation.engine.simulation import Simulation
from simulation.engine.state import ConservationError, InventoryState

__all__ = ["ConservationError", "InventoryState", "Observer", "Simulation", "next_cutoff"]
