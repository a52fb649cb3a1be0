"""Fanout lag (commit of a post to the end of its fanout) from the process's Prometheus
histogram, read before and after a write test: quantiles of the difference, interpolated
linearly within buckets (so they are as fine as roost_fanout_lag_seconds's buckets)."""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families

METRIC = "roost_fanout_lag_seconds"

Buckets = dict[float, float]  # upper bound -> cumulative count


def lag_buckets(exposition: bytes) -> Buckets:
    for family in text_string_to_metric_families(exposition.decode()):
        if family.name == METRIC:
            return {
                float(sample.labels["le"]): sample.value
                for sample in family.samples
                if sample.name == f"{METRIC}_bucket"
            }
    return {}


def observed(before: Buckets, after: Buckets) -> int:
    return int(after.get(math.inf, 0.0) - before.get(math.inf, 0.0))


def quantile(before: Buckets, after: Buckets, q: float) -> float | None:
    """Seconds; None when nothing was observed."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if math.isinf(bound):
                return lower
            share = (rank - below) / (count - below) if count > below else 1.0
            return lower + (bound - lower) * share
        lower, below = bound, count
    return lower
