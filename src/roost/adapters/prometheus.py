"""Prometheus metrics. Each process serves its own (API: GET /metrics; worker: --metrics-port);
Prometheus scrapes every process and sums the counters (deploy/prometheus.yml)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class PrometheusFeedMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._inserts = Counter(
            "roost_fanout_inserts", "Home-feed entries written by push", registry=registry
        )
        self._skipped = Counter(
            "roost_fanout_skipped",
            "Followers a post was not pushed to, by reason",
            ["reason"],
            registry=registry,
        )
        self._rebuilds = Counter(
            "roost_feed_rebuilds", "Home feeds rebuilt by pull from SQL", registry=registry
        )
        self._lag = Histogram(
            "roost_fanout_lag_seconds",
            "From the commit of a post to the end of its fanout",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        for reason in ("celebrity", "inactive"):
            self._skipped.labels(reason)

    def pushed(self, entries: int) -> None:
        self._inserts.inc(entries)

    def skipped(self, reason: str, followers: int) -> None:
        self._skipped.labels(reason).inc(followers)

    def rebuilt(self) -> None:
        self._rebuilds.inc()

    def fanout_lag(self, seconds: float) -> None:
        self._lag.observe(max(seconds, 0.0))
