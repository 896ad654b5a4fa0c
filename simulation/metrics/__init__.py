"""What a run measures: the metric registry, the daily ledger, order statistics and KPI tables."""
