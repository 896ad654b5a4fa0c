"""Named random streams. One ``SeedSequence`` per (seed, replication), split by a fixed id per stream
name, so adding a stream never shifts another, and two policies run on one seed see the same demand,
lead times and transit times (common random numbers)."""

from __future__ import annotations

import numpy as np

# Ids are part of the reproducibility contract: never renumber, only append.
STREAM_IDS = {"walk_in": 0, "online_orders": 1, "lead_time": 2, "transit": 3, "shocks": 4, "picking": 5, "records": 6, "recapture": 7,
              "store_records": 8, "record_sync": 9, "forecast": 10,
              "freshness": 11, "bootstrap": 12, "returns": 13, "recaptured_returns": 14}


ORDER_SAMPLE_STREAM = 1000  # the kept sample of orders: apart from the model's streams, so it changes no result


def order_sample_stream(seed: int, replication: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, ORDER_SAMPLE_STREAM)))


def make_streams(seed: int, replication: int = 0) -> dict[str, np.random.Generator]:
    return {name: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, sid)))
            for name, sid in STREAM_IDS.items()}


def store_streams(seed: int, replication: int, stores: int) -> list[np.random.Generator]:
    """One walk-in stream per store (children of the 'walk_in' id, by store position)."""
    return [np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, STREAM_IDS["walk_in"], i)))
            for i in range(stores)]
