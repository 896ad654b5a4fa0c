"""The engine: run state, random streams, demand, orders, threads and the SimPy day."""

from simulation.engine.simulation import ConservationError, Simulation, next_cutoff

__all__ = ["ConservationError", "Simulation", "next_cutoff"]
