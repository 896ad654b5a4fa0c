"""Command-line argument types shared by ``invsim`` and the experiment scripts. Each refuses a value that
means nothing (argparse then exits 2 naming the argument), so a bad count, seed, folder or address never
reaches a run as a traceback or as silently different results."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from simulation.experiment.results import folder_problem

# scheme://host:port or host:port, as Dask addresses are written (tcp://10.0.0.5:8786)
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):\d{1,5}$")


def whole(minimum: int):
    """A whole number >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {value}")
        return value
    parse.__name__ = f"whole number >= {minimum}"
    return parse


seed = whole(0)  # numpy's SeedSequence takes any non-negative integer


def folder(text: str) -> Path:
    """An output folder: it, or any folder above it, must not be an existing file."""
    problem = folder_problem(Path(text))
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return Path(text)


def address(text: str) -> str:
    """A Dask scheduler address with a port, such as tcp://10.0.0.5:8786."""
    if not _ADDRESS.match(text):
        raise argparse.ArgumentTypeError(f"expected a scheduler address such as tcp://10.0.0.5:8786, got {text!r}")
    return text
