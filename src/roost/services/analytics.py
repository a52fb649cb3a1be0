"""Product analytics: counting what happens, and answering who may see which counts.

Two sources feed the counters:

- the event log (``AnalyticsConsumer``): posts, replies, follows and unfollows, likes and
  reposts, each counted once per event id, whatever the replays;
- reads (``Usage``): impressions (each tweet served in a feed or timeline page), feed reads,
  requests and active users. These are far too many for one write each: they are summed in
  this process's memory and flushed as one batch at least once a second, and on shutdown. A
  crash loses at most the last interval (ROOST_ANALYTICS_FLUSH_SECONDS). In scaled mode the
  batch goes to the workers through a queue, and the workers add it to the store
  (``AnalyticsConsumer``): writing thousands of counters a second was the API process's
  largest stall, the feed's p99.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from roost.domain import events
from roost.domain.analytics import (
    MAX_DAYS,
    SERVICE,
    EventCounts,
    Metric,
    Period,
    TweetStats,
    UsageBatch,
    bucket,
    days_ending,
    event_counts,
    usage_batch,
)
from roost.domain.errors import Forbidden, InvalidInput, NotFound
from roost.domain.events import Event
from roost.domain.forecast import WEEK, WEEKS_USED, Forecast, forecast, parse_horizon
from roost.domain.ids import id_timestamp, random_id_at
from roost.domain.users import User, could_be_handle
from roost.ports import (
    ActiveUsers,
    AnalyticsStore,
    Clock,
    StoreUnavailable,
    UnitOfWorkFactory,
    UsageQueue,
)
from roost.services.background import stop_if_cancelled

log = logging.getLogger(__name__)

# Pages kept before they are counted: counting is cheaper in bulk, but the event loop stands
# still meanwhile (10,000 pages were a 25-50 ms stall, the feed's p99 at 8 connections).
PAGES_KEPT = 100

USER_METRICS = (Metric.FOLLOWERS_GAINED, Metric.FOLLOWERS_LOST, Metric.POSTS, Metric.IMPRESSIONS)
OVERVIEW_METRICS = (
    Metric.ACTIVE_USERS,
    Metric.POSTS,
    Metric.FOLLOWS,
    Metric.FEED_READS,
    Metric.IMPRESSIONS,
    Metric.REQUESTS,
)


@dataclass(frozen=True, slots=True)
class DailyCounts:
    """Counts per day, oldest day first: ``counts[metric][i]`` is for ``days[i]``."""

    days: list[datetime]
    counts: dict[Metric, list[int]]


class Usage:
    """Read-side counts of this process, summed in memory and flushed in batches: to the store,
    or to the workers where there is a queue."""

    def __init__(
        self,
        store: AnalyticsStore,
        queue: UsageQueue | None,
        active_users: ActiveUsers,
        clock: Clock,
    ) -> None:
        self._store = store
        self._queue = queue
        self._active_users = active_users
        self._clock = clock
        self._unsent: UsageBatch | None = None  # may have arrived: sent again under its id
        self._impressions: Counter[int] = Counter()
        self._shown: list[Sequence[int]] = []  # pages served since the last count
        self._feed_reads = 0
        self._requests = 0
        self._active: set[int] = set()

    def served(self, tweet_ids: Sequence[int]) -> None:
        """Tweets shown in a page: one impression each. In memory only (hot path): the page is
        kept and counted with the next ones, in one pass (a Counter.update a page was 3% of a
        feed read's CPU)."""
        self._shown.append(tweet_ids)
        if len(self._shown) >= PAGES_KEPT:
            self._count_shown()

    def feed_read(self, tweet_ids: Sequence[int]) -> None:
        self._feed_reads += 1
        self.served(tweet_ids)

    def _count_shown(self) -> None:
        shown, self._shown = self._shown, []
        self._impressions.update(chain.from_iterable(shown))

    def active(self, user_id: int) -> None:
        self._active.add(user_id)

    def request(self) -> None:
        self._requests += 1

    async def run(self, interval: float) -> None:
        """Flush every ``interval`` seconds until cancelled (the last flush is close()'s)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.flush()
            except Exception as error:
                stop_if_cancelled(error)
                log.exception("analytics flush failed; its counts are kept for the next one")
            stop_if_cancelled()

    async def flush(self) -> None:
        """Hand over what was counted since the last flush. A batch that failed is sent again,
        under the same id, before anything else: it may have arrived all the same (a timeout,
        a cancellation), and the store adds a batch id once."""
        if self._unsent is not None:
            await self._hand_over(self._unsent)
            self._unsent = None
        now = self._clock.now()
        active_users = await self._active_users_so_far(now)
        self._count_shown()  # from here to the batch, no await: nothing counted is dropped
        impressions, self._impressions = self._impressions, Counter()
        feed_reads, self._feed_reads = self._feed_reads, 0
        requests, self._requests = self._requests, 0
        if impressions or feed_reads or requests or active_users:
            batch = UsageBatch(
                random_id_at(now), now, impressions, feed_reads, requests, active_users
            )
            try:
                await self._hand_over(batch)
            except BaseException:  # cancelled mid-write too: close() flushes it
                self._unsent = batch
                raise

    async def _active_users_so_far(self, now: datetime) -> int:
        """The day's count once this interval's users are added to it; 0 (and the users kept
        for the next flush) while the store of active users is unavailable."""
        active, self._active = self._active, set()
        if not active:
            return 0
        try:
            return await self._active_users.add(now, sorted(active))
        except BaseException as error:
            self._active |= active
            if isinstance(error, StoreUnavailable):
                log.warning("active users not counted this time: %s", error)
                return 0
            raise

    async def _hand_over(self, batch: UsageBatch) -> None:
        """To the workers where there is a queue; while it is down, to the store directly."""
        if self._queue is not None:
            try:
                await self._queue.put(batch)
                return
            except StoreUnavailable as error:
                log.warning("usage queue unavailable (%s): writing the counts directly", error)
        await self._store.add_usage([batch], self._clock.now())


class AnalyticsConsumer:
    """Counts the events of the log; idempotent, keyed by the event id."""

    def __init__(self, uow: UnitOfWorkFactory, store: AnalyticsStore, clock: Clock) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock

    async def handle(self, event: Event) -> None:
        await self.handle_batch([event])

    async def handle_batch(self, batch: list[Event]) -> None:
        """The batch's counts in one transaction, its tweets' links in one query: a consumer
        that keeps up with the posts of a busy service (one transaction per event did not).
        Usage batches (from the usage stream) are added together, in a transaction of their
        own."""
        usage = [usage_batch(e.payload) for e in batch if e.type == events.USAGE_COUNTED]
        if usage:
            await self._store.add_usage(usage, self._clock.now())
        await self._count([e for e in batch if e.type != events.USAGE_COUNTED])

    async def _count(self, batch: list[Event]) -> None:
        if not batch:
            return
        tweet_events = (events.TWEET_CREATED, events.TWEET_DELETED)
        tweet_ids = [int(e.payload["tweet_id"]) for e in batch if e.type in tweet_events]
        links = {}
        if tweet_ids:
            async with self._uow(read_only=True) as uow:
                links = await uow.tweets.links(tweet_ids)
        now = self._clock.now()
        counted: dict[int, EventCounts] = {}
        for event in batch:
            reply_to = repost_of = None
            at = now
            if event.type in tweet_events:
                tweet_id = int(event.payload["tweet_id"])
                reply_to, repost_of = links.get(tweet_id, (None, None))
                at = id_timestamp(tweet_id)
            found = event_counts(event.type, event.payload, at, reply_to, repost_of)
            if found.counts or found.tweets:
                counted[event.id] = found
        await self._store.count_events(counted)


class Analytics:
    """The counts, for those allowed to see them: a tweet's to its author, a user's to that
    user, the service's to admins."""

    def __init__(self, uow: UnitOfWorkFactory, store: AnalyticsStore, clock: Clock) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock

    async def tweet_stats(self, caller: User, tweet_id: int) -> TweetStats:
        async with self._uow(read_only=True) as uow:
            tweet = await uow.tweets.get(tweet_id)
        if tweet is None:
            raise NotFound("No such tweet.")
        if tweet.author.id != caller.id:
            raise Forbidden("Only its author may see a tweet's stats.")
        return await self._store.tweet_stats(tweet_id)

    async def user_stats(self, caller: User, handle: str, days: int) -> DailyCounts:
        async with self._uow(read_only=True) as uow:
            user = await uow.users.by_handle(handle) if could_be_handle(handle) else None
        if user is None:
            raise NotFound(f"No user has the handle {handle!r}.")
        if user.id != caller.id:
            raise Forbidden("Only a user may see their own stats.")
        return await self._daily(USER_METRICS, user.id, days)

    async def overview(self, caller: User, days: int) -> DailyCounts:
        await self._require_admin(caller)
        return await self._daily(OVERVIEW_METRICS, SERVICE, days)

    async def forecast(self, caller: User, horizon: str) -> Forecast:
        """Requests per second for each hour of the horizon, from the current one."""
        hours = parse_horizon(horizon)
        await self._require_admin(caller)
        start = bucket(self._clock.now(), Period.HOUR)
        history = await self._store.series(
            Metric.REQUESTS, SERVICE, Period.HOUR, start - WEEKS_USED * WEEK, start
        )
        return forecast({at: float(n) for at, n in history.items()}, start, hours)

    async def set_admin(self, handle: str, admin: bool) -> None:
        """Make a user an admin or not (`roost admin grant|revoke HANDLE`)."""
        async with self._uow(read_only=True) as uow:
            user = await uow.users.by_handle(handle) if could_be_handle(handle) else None
        if user is None:
            raise NotFound(f"No user has the handle {handle!r}.")
        await self._store.set_admin(user.id, admin, self._clock.now())

    async def _require_admin(self, caller: User) -> None:
        if not await self._store.is_admin(caller.id):
            raise Forbidden("Only admins may see the service's analytics.")

    async def _daily(self, metrics: Sequence[Metric], subject: int, days: int) -> DailyCounts:
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"days is from 1 to {MAX_DAYS}.")
        starts = days_ending(self._clock.now(), days)
        end = starts[-1] + timedelta(days=1)
        counts = {}
        for metric in metrics:
            stored = await self._store.series(metric, subject, Period.DAY, starts[0], end)
            counts[metric] = [stored.get(day, 0) for day in starts]
        return DailyCounts(starts, counts)
