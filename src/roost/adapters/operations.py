"""Prometheus metrics for operators beyond fanout: HTTP requests, feed read latency, event
backlogs, tweet cache lookups, store errors. Each process serves its own; Prometheus sums them.

Backlogs are gauges refreshed every few seconds by a background task (queries, not per-request
work): ``roost_consumer_backlog_events{consumer}`` is what each consumer has still to handle
(outbox consumers: events after its position; stream groups: lag plus pending),
``roost_outbox_backlog_events`` what the outbox holds beyond its slowest reader (in scaled
mode, the relay), ``roost_stream_length_events`` the Redis Stream's length.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import InterfaceError, OperationalError

from roost.adapters.sql.engine import Engines
from roost.adapters.sql.outbox import SqlEventSource
from roost.ports import TweetCache
from roost.services.background import stop_if_cancelled

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
REFRESH_SECONDS = 5.0


class OperationsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["method", "route", "status"]
        self._requests = Counter(
            "roost_http_requests", "HTTP requests answered", labels, registry=registry
        )
        self._latency = Histogram(
            "roost_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._feed_reads = Histogram(
            "roost_feed_read_seconds",
            "Time to answer GET /feed",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.consumer_backlog = Gauge(
            "roost_consumer_backlog_events",
            "Events a consumer (group) has still to handle",
            ["consumer"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "roost_outbox_backlog_events",
            "Outbox events not yet taken by its slowest reader (the relay, in scaled mode)",
            registry=registry,
        )
        self.stream_length = Gauge(
            "roost_stream_length_events", "Entries in the Redis event stream", registry=registry
        )
        lookups = Counter(
            "roost_tweet_cache_lookups",
            "Tweets looked up in the tweet cache, found or not (lookups outside the feed script)",
            ["result"],
            registry=registry,
        )
        self._cache_hits, self._cache_misses = lookups.labels("hit"), lookups.labels("miss")
        self._hits = 0
        self._lookups = 0
        Gauge(
            "roost_tweet_cache_hit_ratio",
            "Share of tweet cache lookups found, since the process started",
            registry=registry,
        ).set_function(lambda: self._hits / self._lookups if self._lookups else 0.0)
        self._errors = Counter(
            "roost_store_errors", "Errors talking to a store", ["store"], registry=registry
        )
        for store in ("sql", "redis"):
            self._errors.labels(store)
        # labels() costs a lock and a few allocations per call: the children of each
        # (method, route, status) are looked up once (a bounded set: routes are templates).
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = self._requests.labels(*labels), self._latency.labels(*labels)
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if route == "/feed" and method == "GET":
            self._feed_reads.observe(seconds)

    def cache_lookups(self, looked_up: int, found: int) -> None:
        self._hits += found
        self._lookups += looked_up
        self._cache_hits.inc(found)
        self._cache_misses.inc(looked_up - found)

    def store_error(self, store: str) -> None:
        self._errors.labels(store).inc()


class CountedTweetCache:
    """A tweet cache that counts its hits and misses."""

    def __init__(self, inner: TweetCache, metrics: OperationsMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def get_many(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
        found = await self._inner.get_many(tweet_ids)
        self._metrics.cache_lookups(len(tweet_ids), len(found))
        return found

    async def put_many(self, rendered: dict[int, bytes]) -> None:
        await self._inner.put_many(rendered)

    async def mark_deleted(self, tweet_id: int) -> None:
        await self._inner.mark_deleted(tweet_id)


class Backlogs:
    """Refreshes the backlog gauges from the outbox and the streams (the stream length gauge is
    the event log's, the first of them)."""

    def __init__(
        self,
        metrics: OperationsMetrics,
        outbox: SqlEventSource,
        outbox_readers: Sequence[str],
        redis: Redis | None,
        streams: Sequence[str],
    ) -> None:
        self._metrics = metrics
        self._outbox = outbox
        self._outbox_readers = outbox_readers
        self._redis = redis
        self._streams = streams

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as error:
                stop_if_cancelled(error)
                log.debug("backlog gauges not refreshed: %r", error)
            stop_if_cancelled()
            await asyncio.sleep(REFRESH_SECONDS)

    async def refresh(self) -> None:
        behind = [await self._outbox.backlog(reader) for reader in self._outbox_readers]
        self._metrics.outbox_backlog.set(max(behind, default=0))
        if self._redis is None:
            for reader, count in zip(self._outbox_readers, behind, strict=True):
                self._metrics.consumer_backlog.labels(reader).set(count)
            return
        self._metrics.stream_length.set(await self._redis.xlen(self._streams[0]))
        for stream in self._streams:
            if not await self._redis.exists(stream):
                continue  # made by its first reader
            groups: Any = await self._redis.xinfo_groups(stream)
            for group in groups:
                lag = group.get("lag") or 0
                self._metrics.consumer_backlog.labels(_text(group["name"])).set(
                    int(lag) + int(group.get("pending") or 0)
                )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _cancelled(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, asyncio.CancelledError):
            return True
        error = error.__cause__ or error.__context__
    return False


def count_sql_errors(engines: Engines, metrics: OperationsMetrics) -> None:
    """Count the database's failures (unreachable, lost connections, timeouts, locks) on the
    writer and the readers; not the constraint violations roost relies on (a taken handle)."""

    def failed(context: ExceptionContext) -> None:
        if _cancelled(context.original_exception):  # the client left mid-query (a live stream)
            return
        if context.is_disconnect or isinstance(
            context.sqlalchemy_exception, OperationalError | InterfaceError
        ):
            metrics.store_error("sql")

    for engine in {engines.writer, engines.reader}:
        event.listen(engine.sync_engine, "handle_error", failed)
