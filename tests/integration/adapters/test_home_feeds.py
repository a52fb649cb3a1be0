"""One behavioural suite for every HomeFeeds adapter: SQL (SQLite, PostgreSQL) and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from roost.adapters.redis.feed_store import RedisHomeFeeds
from roost.adapters.redis.keys import Keys
from roost.adapters.sql.engine import create_engines
from roost.adapters.sql.feed_store import SqlHomeFeeds
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import feeds, users
from roost.domain.ids import MAX_ID
from roost.domain.tweets import FeedEntry, original
from roost.ports import HomeFeeds
from tests.conftest import REDIS_URL

CAP = 5
OWNERS = [101, 102, 103]


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[HomeFeeds]:
    if request.param == "redis":
        redis = Redis.from_url(REDIS_URL)
        keys = Keys(request.getfixturevalue("redis_prefix"))
        redis_feeds = RedisHomeFeeds(redis, keys, CAP)
        for owner in OWNERS:
            await redis_feeds.materialise(owner, [])
            await redis_feeds.set_pulled_authors(owner, [])
        yield redis_feeds
        await redis.aclose()
        return
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    await upgrade_async(url)
    engines = create_engines(url)
    async with engines.writer.begin() as conn:
        now = datetime.now(UTC)
        for owner in OWNERS:
            await conn.execute(
                users.insert().values(
                    id=owner,
                    handle=f"u{owner}",
                    handle_key=f"u{owner}",
                    display_name="u",
                    password_hash="x",
                    created_at=now,
                )
            )
            await conn.execute(feeds.insert().values(id=owner, owner_id=owner, kind="home"))
    yield SqlHomeFeeds(engines, CAP)
    await engines.dispose()


async def ids(store: HomeFeeds, owner: int, before: int = MAX_ID, limit: int = 100) -> list[int]:
    found = await store.page(owner, before, limit)
    assert found is not None
    return [entry.tweet_id for entry in found.entries]


def originals(*tweet_ids: int) -> list[FeedEntry]:
    return [original(tweet_id) for tweet_id in tweet_ids]


async def test_pushes_are_newest_first_capped_and_idempotent(store: HomeFeeds) -> None:
    for tweet_id in [3, 1, 7, 5, 9, 2, 8]:
        await store.push(original(tweet_id), OWNERS[:2])
    assert await store.push(original(9), OWNERS[:2]) == 0  # again: nothing new
    assert await ids(store, 101) == [9, 8, 7, 5, 3]
    assert await ids(store, 102) == [9, 8, 7, 5, 3]
    assert await ids(store, 103) == []
    assert await store.oldest(101) == 3
    assert await store.oldest(103) is None


async def test_pages_are_exclusive_of_the_cursor(store: HomeFeeds) -> None:
    for tweet_id in [10, 20, 30, 40]:
        await store.push(original(tweet_id), [101])
    assert await ids(store, 101, before=30, limit=10) == [20, 10]
    assert await ids(store, 101, before=MAX_ID, limit=2) == [40, 30]
    assert await ids(store, 101, before=10) == []


async def test_big_ids_keep_their_exact_order(store: HomeFeeds) -> None:
    # Two ids a double cannot tell apart: the order must still be exact.
    close = [2**62 + 1, 2**62 + 2, 2**62 + 3]
    for tweet_id in close:
        await store.push(original(tweet_id), [101])
    assert await ids(store, 101) == close[::-1]
    assert await ids(store, 101, before=close[1]) == [close[0]]


async def test_backfill_remove_and_remove_from(store: HomeFeeds) -> None:
    await store.push(original(50), OWNERS)
    await store.backfill(101, originals(10, 20, 30))
    assert await ids(store, 101) == [50, 30, 20, 10]
    await store.remove_from(101, originals(20, 30, 999))
    assert await ids(store, 101) == [50, 10]
    await store.remove(original(50), OWNERS)
    assert [await ids(store, owner) for owner in OWNERS] == [[10], [], []]


async def test_a_feed_shows_each_original_once(store: HomeFeeds) -> None:
    await store.push(original(10), [101, 102])
    await store.push(FeedEntry(20, 10), [101, 102, 103])  # a repost of 10
    await store.push(FeedEntry(30, 10), [103])  # a second repost of 10
    await store.push(FeedEntry(40, 7), [101])  # a repost of a post the feed lacks
    await store.backfill(101, originals(7))  # arrives after a repost of it
    assert await ids(store, 101) == [40, 10]
    assert await ids(store, 103) == [20]
    await store.remove(FeedEntry(20, 10), [103])  # the repost undone
    await store.push(FeedEntry(30, 10), [103])
    assert await ids(store, 103) == [30]


async def test_materialised_entries_keep_the_first_of_each_original(store: HomeFeeds) -> None:
    await store.materialise(101, [FeedEntry(30, 10), original(10), FeedEntry(20, 10)])
    assert await ids(store, 101) == [10]


async def test_backfill_is_capped_too(store: HomeFeeds) -> None:
    await store.backfill(101, originals(*range(1, 20)))
    assert await ids(store, 101) == [19, 18, 17, 16, 15]


async def test_a_missing_redis_feed_is_not_pushed_to_and_reads_as_missing(
    redis_prefix: str,
) -> None:
    redis = Redis.from_url(REDIS_URL)
    store = RedisHomeFeeds(redis, Keys(redis_prefix), CAP)
    try:
        assert await store.push(original(1), [201]) == 0
        await store.backfill(201, originals(1, 2))
        assert await store.page(201, MAX_ID, 10) is None
        await store.materialise(201, originals(1, 2))
        assert (await store.page(201, MAX_ID, 10)).pulled_authors_known is False  # type: ignore[union-attr]
        await store.set_pulled_authors(201, [])
        await store.materialise(201, originals(3))  # merges into what is there
        assert await ids(store, 201) == [3, 2, 1]
    finally:
        await redis.aclose()
