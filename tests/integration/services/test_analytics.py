"""Analytics counts exactly what was done, once per event, in every mode, and across a restart."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import msgspec
import pytest
from redis.asyncio import Redis
from sqlalchemy import event

from roost.adapters.clock import SystemClock
from roost.adapters.redis.active_users import RedisActiveUsers
from roost.adapters.redis.keys import Keys
from roost.adapters.redis.usage_queue import RedisUsageQueue
from roost.adapters.sql import analytics as sql_analytics
from roost.adapters.sql.analytics import SqlAnalytics
from roost.bootstrap import Roost, build
from roost.domain.analytics import Metric, TweetStats, UsageBatch, usage_counted
from roost.domain.errors import Forbidden, NotFound
from roost.domain.events import Event
from roost.domain.ids import smallest_id_at
from roost.services.analytics import PAGES_KEPT, Usage
from roost.settings import Settings
from tests.integration.support import Consumers


async def counted(roost: Roost) -> None:
    """Hand over what this process counted of reads, and let the consumers add it (in scaled
    mode it goes through the usage stream to the workers)."""
    await roost.usage.flush()
    await Consumers(roost).drain()


async def act(roost: Roost) -> dict[str, int]:
    """A known set of actions; returns the ids of what they made."""
    register, log_in = roost.accounts.register, roost.accounts.log_in
    alice = await register("alice", "correct horse", None)
    bob = await register("bob", "correct horse", None)
    carol = await register("carol", "correct horse", None)
    await roost.follows.follow(alice, "bob")
    await roost.follows.follow(carol, "bob")
    await roost.follows.unfollow(carol, "bob")
    first = await roost.publishing.publish(bob, "first")
    second = await roost.publishing.publish(bob, "second")
    reply = await roost.publishing.publish(alice, "a reply", first.id)
    gone = await roost.publishing.publish(alice, "a reply taken back", first.id)
    await roost.publishing.delete(alice, gone.id)
    await roost.interactions.like(carol, first.id)
    await roost.interactions.like(alice, first.id)
    await roost.interactions.unlike(alice, first.id)
    await roost.interactions.repost(carol, second.id)  # counts for second, not as a post
    await Consumers(roost).drain()
    for handle in ("alice", "bob"):  # two users active, one of them twice
        await roost.accounts.authenticate((await log_in(handle, "correct horse"))[0])
    await roost.accounts.authenticate((await log_in("alice", "correct horse"))[0])
    for _ in range(2):  # bob's two posts and alice's reply, twice
        await roost.home_feed.page(alice, None, 100)
    await roost.timelines.by_author(alice, bob, None, 20)  # bob's two posts once more
    await counted(roost)
    return {"first": first.id, "second": second.id, "reply": reply.id}


async def check(roost: Roost, made: dict[str, int]) -> None:
    accounts, analytics = roost.accounts, roost.analytics
    alice, bob = await accounts.by_handle("alice"), await accounts.by_handle("bob")
    carol = await accounts.by_handle("carol")
    assert await analytics.tweet_stats(bob, made["first"]) == TweetStats(3, 1, 1, 0)
    assert await analytics.tweet_stats(bob, made["second"]) == TweetStats(3, 0, 0, 1)
    assert await analytics.tweet_stats(alice, made["reply"]) == TweetStats(2, 0, 0, 0)

    def totals(counts: dict[Metric, list[int]]) -> dict[str, int]:
        return {metric.value: sum(values) for metric, values in counts.items()}

    bobs = await analytics.user_stats(bob, "bob", 2)
    assert len(bobs.days) == 2
    assert totals(bobs.counts) == {
        "followers_gained": 2,
        "followers_lost": 1,
        "posts": 2,
        "impressions": 6,
    }
    alices = await analytics.user_stats(alice, "alice", 2)
    assert totals(alices.counts)["posts"] == 2
    assert totals(alices.counts)["impressions"] == 2
    overview = await analytics.overview(carol, 2)
    assert totals(overview.counts) == {
        "active_users": 2,
        "posts": 4,
        "follows": 2,
        "feed_reads": 2,
        "impressions": 8,
        "requests": 0,
    }


async def test_every_counter_is_exact_and_survives_a_restart(
    roost: Roost, settings: Settings
) -> None:
    made = await act(roost)
    await roost.analytics.set_admin("carol", True)
    await check(roost, made)

    # every event counted once, however often it is handled again
    counting = next(spec.handler for spec in roost.consumers if spec.name == "analytics")
    for replayed in await roost.outbox.read("analytics-replay", 1000):
        await counting(replayed)
    await check(roost, made)

    await roost.close()
    again = build(settings)
    again.start()
    try:
        await check(again, made)
    finally:
        await again.close()


async def test_who_may_see_which_counts(roost: Roost) -> None:
    made = await act(roost)
    alice = await roost.accounts.by_handle("alice")
    with pytest.raises(Forbidden):
        await roost.analytics.tweet_stats(alice, made["first"])
    with pytest.raises(NotFound):
        await roost.analytics.tweet_stats(alice, made["first"] + 1)
    with pytest.raises(Forbidden):
        await roost.analytics.user_stats(alice, "bob", 7)
    with pytest.raises(Forbidden):
        await roost.analytics.overview(alice, 7)
    await roost.analytics.set_admin("alice", True)
    assert len((await roost.analytics.overview(alice, 7)).days) == 7
    await roost.analytics.set_admin("alice", False)
    with pytest.raises(Forbidden):
        await roost.analytics.forecast(alice, "24h")


async def test_impressions_are_written_in_batches_not_one_by_one(roost: Roost) -> None:
    reader = await roost.accounts.register("reader", "correct horse", None)
    author = await roost.accounts.register("author", "correct horse", None)
    await roost.follows.follow(reader, "author")
    posts = [await roost.publishing.publish(author, f"post {n}") for n in range(5)]
    await Consumers(roost).drain()
    await roost.home_feed.page(reader, None, 100)  # rebuilds and warms the feed
    await counted(roost)

    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    for engine in {roost.engines.reader, roost.engines.writer}:
        event.listen(engine.sync_engine, "before_cursor_execute", seen)
    started = time.monotonic()
    for _ in range(50):  # 250 impressions
        await roost.home_feed.page(reader, None, 100)
    flushes = int(time.monotonic() - started) + 2  # the background flush runs once a second
    await counted(roost)
    writes = [s for s in statements if "tweet_stats" in s or "analytics_rollups" in s]
    assert 1 <= len(writes) <= 3 * flushes  # rollups and per-tweet counters, per flush
    assert len(writes) < 50
    stats = await roost.analytics.tweet_stats(author, posts[0].id)
    assert stats.impressions == 51


async def test_counts_are_flushed_every_second_and_at_shutdown(
    roost: Roost, settings: Settings
) -> None:
    author = await roost.accounts.register("author", "correct horse", None)
    tweet = await roost.publishing.publish(author, "seen")
    roost.usage.served([tweet.id])
    deadline = asyncio.get_running_loop().time() + 3
    while (await roost.analytics.tweet_stats(author, tweet.id)).impressions != 1:
        assert asyncio.get_running_loop().time() < deadline, "not flushed within 3 s"
        await Consumers(roost).drain()
        await asyncio.sleep(0.1)

    roost.usage.served([tweet.id, tweet.id])
    await roost.close()  # flushes what it holds
    again = build(settings)
    try:
        await Consumers(again).drain()
        assert (await again.analytics.tweet_stats(author, tweet.id)).impressions == 3
    finally:
        await again.close()


async def test_pages_served_between_flushes_are_all_counted_once(roost: Roost) -> None:
    """Pages are kept and counted a batch at a time, and at the flush: across both, none is
    lost or counted twice."""
    author = await roost.accounts.register("author", "correct horse", None)
    tweet = await roost.publishing.publish(author, "seen")
    await counted(roost)
    for _ in range(3 * PAGES_KEPT + 5):
        roost.usage.feed_read([tweet.id])
    await counted(roost)
    assert (await roost.analytics.tweet_stats(author, tweet.id)).impressions == 3 * PAGES_KEPT + 5


async def test_impressions_reach_their_authors_when_known_authors_are_forgotten(
    roost: Roost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flush remembers posts' authors up to a bound; past it they are looked up again."""
    monkeypatch.setattr(sql_analytics, "_KNOWN_AUTHORS", 1)
    alice = await roost.accounts.register("alice", "correct horse", None)
    bob = await roost.accounts.register("bob", "correct horse", None)
    alices = await roost.publishing.publish(alice, "by alice")
    bobs = await roost.publishing.publish(bob, "by bob")
    await counted(roost)
    for shown in ([alices.id], [alices.id, bobs.id]):
        roost.usage.served(shown)
        await counted(roost)
    for user, expected in ((alice, 2), (bob, 1)):
        stats = await roost.analytics.user_stats(user, user.handle, 1)
        assert sum(stats.counts[Metric.IMPRESSIONS]) == expected


async def test_daily_actives_survive_a_redis_loss(scaled: Roost) -> None:
    """Scaled mode counts daily actives in a HyperLogLog; each flush copies the count to SQL."""
    users = [await scaled.accounts.register(f"user{n}", "correct horse", None) for n in range(3)]
    for user in users:
        token, _ = await scaled.accounts.log_in(user.handle, "correct horse")
        await scaled.accounts.authenticate(token)
    await counted(scaled)
    await scaled.analytics.set_admin("user0", True)
    assert scaled.redis is not None
    lost = await scaled.redis.keys(f"{scaled.settings.redis_prefix}dau:*")
    assert await scaled.redis.delete(*lost) == 1
    scaled.usage.active(users[0].id)  # today's HyperLogLog starts again from one user
    await counted(scaled)
    overview = await scaled.analytics.overview(users[0], 1)
    assert overview.counts[Metric.ACTIVE_USERS] == [3]


async def test_a_usage_batch_is_added_once_however_often_it_is_delivered(roost: Roost) -> None:
    author = await roost.accounts.register("author", "correct horse", None)
    tweet = await roost.publishing.publish(author, "seen")
    batch = UsageBatch(smallest_id_at(datetime.now(UTC)), datetime.now(UTC), {tweet.id: 2}, 1, 3)
    handed = usage_counted(batch)
    delivered = Event(1, handed.type, msgspec.json.decode(msgspec.json.encode(handed.payload)))
    counting = next(spec.batch_handler for spec in roost.consumers if spec.name == "analytics")
    assert counting is not None
    for _ in range(2):
        await counting([delivered, delivered])
    assert (await roost.analytics.tweet_stats(author, tweet.id)).impressions == 2
    stats = await roost.analytics.user_stats(author, "author", 1)
    assert stats.counts[Metric.IMPRESSIONS] == [2]
    await roost.analytics.set_admin("author", True)
    overview = await roost.analytics.overview(author, 1)
    assert (overview.counts[Metric.FEED_READS], overview.counts[Metric.REQUESTS]) == ([1], [3])


async def test_scaled_api_processes_leave_the_sql_of_their_counts_to_the_workers(
    scaled: Roost,
) -> None:
    author = await scaled.accounts.register("author", "correct horse", None)
    tweet = await scaled.publishing.publish(author, "seen")
    await Consumers(scaled).drain()
    statements: list[str] = []
    for engine in {scaled.engines.reader, scaled.engines.writer}:
        event.listen(
            engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2])
        )
    scaled.usage.served([tweet.id, tweet.id])
    await scaled.usage.flush()
    assert statements == []
    assert (await scaled.analytics.tweet_stats(author, tweet.id)).impressions == 0

    usage = next(spec for spec in scaled.consumers if spec.name == "usage")
    redelivered = await usage.source.read("usage-again", 100)  # as to a second worker
    assert [e.type for e in redelivered] == ["usage.counted"]

    await Consumers(scaled).drain()  # the workers' usage group
    assert (await scaled.analytics.tweet_stats(author, tweet.id)).impressions == 2
    assert scaled.redis is not None
    assert await scaled.redis.xlen(f"{scaled.settings.redis_prefix}usage") == 0  # deleted
    assert usage.batch_handler is not None
    await usage.batch_handler(redelivered)
    assert (await scaled.analytics.tweet_stats(author, tweet.id)).impressions == 2


async def test_counts_go_straight_to_the_store_while_redis_is_down(scaled: Roost) -> None:
    """The usage stream and the daily actives' HyperLogLog both unreachable: the reads are
    written to SQL by the API process itself, and its active users wait for Redis."""
    author = await scaled.accounts.register("author", "correct horse", None)
    tweet = await scaled.publishing.publish(author, "seen")
    unreachable = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=1)
    keys = Keys(scaled.settings.redis_prefix)
    store = SqlAnalytics(scaled.engines)
    usage = Usage(
        store,
        RedisUsageQueue(unreachable, keys, 100),
        RedisActiveUsers(unreachable, keys),
        SystemClock(),
    )
    try:
        usage.active(author.id)
        usage.served([tweet.id])
        await usage.flush()
    finally:
        await unreachable.aclose()
    assert (await scaled.analytics.tweet_stats(author, tweet.id)).impressions == 1
    await scaled.analytics.set_admin("author", True)
    assert (await scaled.analytics.overview(author, 1)).counts[Metric.ACTIVE_USERS] == [0]
