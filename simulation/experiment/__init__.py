"""Running experiments: one run, results folders, the resumable store, sweeps, comparisons, executors, statistics."""
