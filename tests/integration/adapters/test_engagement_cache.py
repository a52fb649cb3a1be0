"""One behavioural suite for every EngagementCache adapter: in process (embedded) and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from roost.adapters.local.engagement import LruEngagementCache
from roost.adapters.redis.engagement import RedisEngagementCache
from roost.adapters.redis.keys import Keys
from roost.domain.tweets import Counts, Flags
from roost.ports import EngagementCache
from tests.conftest import REDIS_URL

TTL = 600
READER, OTHER = 101, 102
POST, REPOST = 2**62 + 1, 2**62 + 2  # ids past a double's exact range, as real ids are


@pytest.fixture(params=["local", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[EngagementCache]:
    if request.param == "local":
        yield LruEngagementCache(capacity=1000, ttl_seconds=TTL)
        return
    redis = Redis.from_url(REDIS_URL)
    yield RedisEngagementCache(redis, Keys(request.getfixturevalue("redis_prefix")), TTL)
    await redis.aclose()


async def test_nothing_is_cached_at_first(cache: EngagementCache) -> None:
    assert await cache.counts([POST, REPOST]) == {}
    assert await cache.flags(READER, [POST, REPOST]) == {}
    assert await cache.counts([]) == {}
    assert await cache.flags(READER, []) == {}


async def test_a_fill_adds_counts_where_none_are_cached(cache: EngagementCache) -> None:
    await cache.put_counts({POST: Counts(3, 2, 1)})
    await cache.put_counts({POST: Counts(0, 0, 0), REPOST: Counts(5, 0, 0)})
    assert await cache.counts([POST, REPOST, 7]) == {POST: Counts(3, 2, 1), REPOST: Counts(5, 0, 0)}


async def test_a_recount_replaces_what_is_cached(cache: EngagementCache) -> None:
    await cache.put_counts({POST: Counts(3, 2, 1)})
    await cache.set_counts({POST: Counts(4, 2, 1)})
    await cache.put_counts({POST: Counts(3, 2, 1)})  # a reader's late fill
    assert await cache.counts([POST]) == {POST: Counts(4, 2, 1)}
    await cache.set_counts({})
    await cache.put_counts({})
    assert await cache.counts([POST]) == {POST: Counts(4, 2, 1)}


async def test_flags_are_the_reader_s_own(cache: EngagementCache) -> None:
    await cache.put_flags(READER, {POST: Flags(liked=True, reposted=False)})
    assert await cache.flags(READER, [POST, REPOST]) == {POST: Flags(True, False)}
    assert await cache.flags(OTHER, [POST]) == {}


async def test_a_fill_keeps_the_reader_s_own_later_like_and_repost(
    cache: EngagementCache,
) -> None:
    await cache.set_liked(READER, POST, True)
    await cache.set_reposted(READER, REPOST, True)
    await cache.put_flags(READER, {POST: Flags(False, False), REPOST: Flags(False, False)})
    assert await cache.flags(READER, [POST, REPOST]) == {
        POST: Flags(True, False),
        REPOST: Flags(False, True),
    }


async def test_likes_and_reposts_replace_what_is_cached(cache: EngagementCache) -> None:
    await cache.put_flags(READER, {POST: Flags(False, False)})
    await cache.set_liked(READER, POST, True)
    assert await cache.flags(READER, [POST]) == {POST: Flags(True, False)}
    await cache.set_reposted(READER, POST, True)
    await cache.set_liked(READER, POST, False)
    assert await cache.flags(READER, [POST]) == {POST: Flags(False, True)}


async def test_one_flag_alone_is_not_an_answer(cache: EngagementCache) -> None:
    """A like caches that flag only: whether the reader reposted is still for SQL to say."""
    await cache.set_liked(READER, POST, True)
    assert await cache.flags(READER, [POST]) == {}
