"""Scores: reconstruction error as an anomaly score (anomaly), metrics (evaluate), batched passes
(batching), the Tabular page's table model (tabular)."""
