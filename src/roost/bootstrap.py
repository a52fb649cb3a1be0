"""Builds roost from its settings: the one place that knows both the adapters and the services.

Embedded (no ROOST_REDIS_URL): feeds in SQL, caches and signals in process, and one consumer
that reads the outbox directly. Scaled (ROOST_REDIS_URL set): feeds and caches in Redis, a relay
that moves outbox events into a Redis Stream, and consumer groups that read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy import text

from roost.adapters.clock import SystemClock
from roost.adapters.local.engagement import LruEngagementCache
from roost.adapters.local.lru import LruTweetCache
from roost.adapters.local.rate_limiter import LocalRateLimiter
from roost.adapters.local.signals import LocalSignals
from roost.adapters.local.wakeup import Doorbells, Wakeup
from roost.adapters.operations import (
    Backlogs,
    CountedTweetCache,
    OperationsMetrics,
    count_sql_errors,
)
from roost.adapters.passwords import Argon2PasswordHasher
from roost.adapters.prometheus import PrometheusFeedMetrics
from roost.adapters.redis.active_users import RedisActiveUsers
from roost.adapters.redis.connection import connect
from roost.adapters.redis.engagement import RedisEngagementCache
from roost.adapters.redis.feed_store import RedisHomeFeeds
from roost.adapters.redis.keys import Keys
from roost.adapters.redis.multiplexed import MultiplexedRedis
from roost.adapters.redis.rate_limiter import RedisRateLimiter
from roost.adapters.redis.signals import RedisSignals
from roost.adapters.redis.streams import RedisStreamEventSource, RedisStreamPublisher
from roost.adapters.redis.tweet_cache import RedisTweetCache
from roost.adapters.redis.usage_queue import RedisUsageQueue
from roost.adapters.sql.analytics import DEFAULT_CLAIMS_KEPT, SqlActiveUsers, SqlAnalytics
from roost.adapters.sql.engine import Engines, create_engines
from roost.adapters.sql.feed_store import SqlHomeFeeds
from roost.adapters.sql.outbox import SqlEventSource
from roost.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from roost.domain.events import Event
from roost.domain.fanout_policy import FanoutPolicy
from roost.domain.ids import IdGenerator
from roost.ports import (
    ActiveUsers,
    EngagementCache,
    EventSource,
    HomeFeeds,
    RateLimiter,
    Signals,
    TweetCache,
    UnitOfWorkFactory,
)
from roost.services.accounts import Accounts
from roost.services.analytics import Analytics, AnalyticsConsumer, Usage
from roost.services.counts import EngagementCounts
from roost.services.engagement import Engagement
from roost.services.fanout import Fanout
from roost.services.feed import HomeFeed
from roost.services.follows import Follows
from roost.services.hydration import TweetHydrator
from roost.services.interactions import Interactions
from roost.services.live import LiveUpdates
from roost.services.notifications import Notifications
from roost.services.publishing import Publishing
from roost.services.sessions import SessionCache
from roost.services.stream import LiveStream
from roost.services.timelines import Timelines
from roost.settings import Settings

log = logging.getLogger(__name__)

OUTBOX_TOPIC = "outbox"


@dataclass(frozen=True, slots=True)
class ConsumerSpec:
    """One event consumer: where it reads, what handles each event, what wakes it.

    ``wakeup`` is None for sources that wait for events themselves (Redis Streams block).
    ``batch_handler``, where given, handles a whole batch at once (one transaction)."""

    name: str
    source: EventSource
    handler: Callable[[Event], Awaitable[None]]
    wakeup: Wakeup | None
    batch_handler: Callable[[list[Event]], Awaitable[None]] | None = None


@dataclass
class Roost:
    """The wired application: services for the entry points, and what they must start and close."""

    settings: Settings
    accounts: Accounts
    publishing: Publishing
    interactions: Interactions
    timelines: Timelines
    notifications: Notifications
    live: LiveUpdates
    stream: LiveStream
    follows: Follows
    home_feed: HomeFeed
    fanout: Fanout
    analytics: Analytics
    usage: Usage
    feeds: HomeFeeds
    hydrator: TweetHydrator
    consumers: list[ConsumerSpec]
    uow: UnitOfWorkFactory
    outbox: SqlEventSource
    engines: Engines
    redis: Redis | None
    redis_reads: MultiplexedRedis | None  # the hot path's shared connection
    metrics: CollectorRegistry
    operations: OperationsMetrics
    _background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        """Start the background listeners (cross-process signals) this process needs."""
        self._tasks = [asyncio.create_task(job()) for job in self._background]

    async def health(self) -> dict[str, str]:
        """ "ok" or "down" for each backing service."""
        checks = {"database": "ok"}
        try:
            async with self.engines.reader.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            checks["database"] = "down"
        if self.redis is not None:
            try:
                await asyncio.wait_for(self.redis.ping(), 1.0)
                checks["redis"] = "ok"
            except Exception:
                checks["redis"] = "down"
        return checks

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.usage.flush()
        except Exception:
            log.exception("analytics: the last counts could not be written at shutdown")
        if self.redis is not None:
            await self.redis.aclose()
        if self.redis_reads is not None:
            await self.redis_reads.close()
        await self.engines.dispose()


@dataclass
class _FastLayer:
    """What differs between the modes."""

    feeds: HomeFeeds
    tweet_cache: TweetCache
    engagement: EngagementCache
    rate_limiter: RateLimiter
    signals: Signals
    active_users: ActiveUsers


class _OutboxBell:
    """Rung after every commit that wrote events: wakes this process's consumers and, in scaled
    mode, every relay (best effort; relays also poll)."""

    def __init__(self, doorbells: Doorbells, signals: Signals, announce: bool) -> None:
        self._doorbells = doorbells
        self._signals = signals
        self._announce = announce
        self._pending: set[asyncio.Task[None]] = set()

    def ring(self) -> None:
        self._doorbells.ring_all()
        if self._announce:
            task = asyncio.get_running_loop().create_task(self._tell_others())
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _tell_others(self) -> None:
        try:
            await self._signals.publish(OUTBOX_TOPIC, "")
        except Exception as error:
            log.debug("outbox doorbell not sent: %r", error)


def build(settings: Settings) -> Roost:
    registry = CollectorRegistry()
    operations = OperationsMetrics(registry)
    engines = create_engines(settings.database_url)
    count_sql_errors(engines, operations)
    redis, reads = None, None
    if settings.redis_url:
        redis_error = functools.partial(operations.store_error, "redis")
        redis = connect(settings.redis_url, redis_error)
        reads = MultiplexedRedis(settings.redis_url, on_error=redis_error)
    keys = Keys(settings.redis_prefix)
    lru = LruTweetCache(settings.tweet_cache_size)
    fast = (
        _redis_layer(settings, redis, reads, keys, lru)
        if redis and reads
        else _local_layer(settings, engines, lru)
    )
    doorbells = Doorbells()
    bell = _OutboxBell(doorbells, fast.signals, announce=redis is not None)
    uow = SqlUnitOfWorkFactory(engines, on_events=bell.ring)
    hydrator = TweetHydrator(uow, CountedTweetCache(fast.tweet_cache, operations))
    clock = SystemClock()
    engagement = Engagement(uow, fast.engagement, clock)
    live = LiveUpdates(fast.signals, uow, clock)
    ids = IdGenerator(settings.worker_id)
    passwords = Argon2PasswordHasher(
        settings.password_hash_time_cost, settings.password_hash_memory_kib
    )
    metrics = PrometheusFeedMetrics(registry)
    policy = FanoutPolicy(
        celebrity_threshold=settings.celebrity_threshold,
        inactive_after=timedelta(days=settings.inactive_after_days),
    )
    fanout = Fanout(
        uow,
        fast.feeds,
        hydrator,
        policy,
        metrics,
        clock,
        live,
        feed_max_items=settings.feed_max_items,
        batch_size=settings.fanout_batch_size,
    )
    publishing = Publishing(
        uow,
        fast.feeds,
        hydrator,
        engagement,
        fast.engagement,
        fast.rate_limiter,
        ids,
        clock,
        max_chars=settings.tweet_max_chars,
        posts_per_minute=settings.rate_limit_posts_per_minute,
    )
    notifications = Notifications(uow, hydrator, engagement, live, ids, clock)
    counts = EngagementCounts(uow, fast.engagement)
    outbox = SqlEventSource(engines)
    claims_kept = max(2 * settings.stream_max_len, DEFAULT_CLAIMS_KEPT)
    analytics_store = SqlAnalytics(engines, claims_kept=claims_kept)
    queue = RedisUsageQueue(redis, keys, settings.usage_stream_max_len) if redis else None
    usage = Usage(analytics_store, queue, fast.active_users, clock)
    counting = AnalyticsConsumer(uow, analytics_store, clock)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = [
        lambda: usage.run(settings.analytics_flush_seconds)
    ]
    if redis is None:
        consumers = [
            ConsumerSpec("fanout", outbox, fanout.handle, doorbells.new(), fanout.handle_batch),
            ConsumerSpec(
                "notifications",
                outbox,
                notifications.handle,
                doorbells.new(),
                notifications.handle_batch,
            ),
            ConsumerSpec("counts", outbox, counts.handle, doorbells.new(), counts.handle_batch),
            ConsumerSpec(
                "analytics", outbox, counting.handle, doorbells.new(), counting.handle_batch
            ),
        ]
        outbox_readers = [spec.name for spec in consumers]
    else:
        relay_bell = doorbells.new()
        fast.signals.subscribe(OUTBOX_TOPIC, lambda _: relay_bell.ring())
        publisher = RedisStreamPublisher(redis, keys, settings.stream_max_len)

        def read(stream: str, *, delete_handled: bool) -> RedisStreamEventSource:
            return RedisStreamEventSource(
                redis,
                keys,
                f"{socket.gethostname()}-{os.getpid()}",
                claim_idle_seconds=settings.stream_claim_idle_seconds,
                max_deliveries=settings.stream_max_deliveries,
                block_seconds=settings.consumer_poll_seconds,
                stream=stream,
                delete_handled=delete_handled,
            )

        stream = read(keys.events, delete_handled=False)
        usage_stream = read(keys.usage, delete_handled=True)
        consumers = [
            ConsumerSpec("relay", outbox, publisher.publish, relay_bell, publisher.publish_batch),
            ConsumerSpec("fanout", stream, fanout.handle, None, fanout.handle_batch),
            ConsumerSpec(
                "notifications", stream, notifications.handle, None, notifications.handle_batch
            ),
            ConsumerSpec("counts", stream, counts.handle, None, counts.handle_batch),
            ConsumerSpec("analytics", stream, counting.handle, None, counting.handle_batch),
            ConsumerSpec("usage", usage_stream, counting.handle, None, counting.handle_batch),
        ]
        assert isinstance(fast.signals, RedisSignals)
        background.append(fast.signals.listen)
        outbox_readers = ["relay"]
    streams = [keys.events, keys.usage]
    background.append(Backlogs(operations, outbox, outbox_readers, redis, streams).run)
    return Roost(
        settings=settings,
        accounts=Accounts(
            uow,
            passwords,
            fast.rate_limiter,
            SessionCache(fast.signals, settings.session_cache_seconds),
            ids,
            clock,
            usage,
            token_ttl=timedelta(days=settings.token_ttl_days),
            logins_per_minute=settings.rate_limit_logins_per_minute,
        ),
        publishing=publishing,
        interactions=Interactions(
            uow,
            publishing,
            hydrator,
            fast.engagement,
            fast.rate_limiter,
            ids,
            clock,
            actions_per_minute=settings.rate_limit_actions_per_minute,
        ),
        timelines=Timelines(uow, engagement, usage),
        notifications=notifications,
        live=live,
        stream=LiveStream(
            live,
            notifications,
            hydrator,
            engagement,
            clock,
            poll_seconds=settings.live_poll_seconds,
        ),
        follows=Follows(uow, ids, clock, live),
        home_feed=HomeFeed(
            uow,
            fast.feeds,
            hydrator,
            engagement,
            metrics,
            clock,
            usage,
            feed_max_items=settings.feed_max_items,
        ),
        fanout=fanout,
        analytics=Analytics(uow, analytics_store, clock),
        usage=usage,
        feeds=fast.feeds,
        hydrator=hydrator,
        consumers=consumers,
        uow=uow,
        outbox=outbox,
        engines=engines,
        redis=redis,
        redis_reads=reads,
        metrics=registry,
        operations=operations,
        _background=background,
    )


def _local_layer(settings: Settings, engines: Engines, lru: LruTweetCache) -> _FastLayer:
    return _FastLayer(
        feeds=SqlHomeFeeds(engines, settings.feed_max_items),
        tweet_cache=lru,
        engagement=LruEngagementCache(
            settings.engagement_cache_size, settings.engagement_cache_seconds
        ),
        rate_limiter=LocalRateLimiter(),
        signals=LocalSignals(),
        active_users=SqlActiveUsers(engines),
    )


def _redis_layer(
    settings: Settings, redis: Redis, reads: MultiplexedRedis, keys: Keys, lru: LruTweetCache
) -> _FastLayer:
    signals = RedisSignals(redis, keys.signals)
    return _FastLayer(
        feeds=RedisHomeFeeds(redis, reads, keys, settings.feed_max_items),
        tweet_cache=RedisTweetCache(redis, keys, lru, signals, settings.tweet_cache_ttl_seconds),
        engagement=RedisEngagementCache(redis, keys, settings.engagement_cache_seconds),
        rate_limiter=RedisRateLimiter(redis, keys),
        signals=signals,
        active_users=RedisActiveUsers(redis, keys),
    )
