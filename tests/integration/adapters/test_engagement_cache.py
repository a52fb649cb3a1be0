"""One behavioural suite for every EngagementCache adapter: in process (embedded) and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from roost.adapters.local.engagement import LruEngagementCache
from roost.adapters.redis.engagement import RedisEngagementCache
from roost.adapters.redis.keys import Keys, member
from roost.domain.tweets import Counts, Flags
from roost.ports import EngagementCache
from tests.conftest import REDIS_URL

TTL = 600
READER, OTHER = 101, 102
POST, REPOST = 2**62 + 1, 2**62 + 2  # ids past a double's exact range, as real ids are
OLDER, NEWER = POST - 10, REPOST + 10


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


async def test_flags_set_from_the_database_replace_what_is_cached(
    cache: EngagementCache,
) -> None:
    await cache.put_flags(READER, {POST: Flags(True, False)})
    await cache.set_flags({(READER, POST): Flags(False, True), (OTHER, REPOST): Flags(True, True)})
    assert await cache.flags(READER, [POST, REPOST]) == {POST: Flags(False, True)}
    assert await cache.flags(OTHER, [POST, REPOST]) == {REPOST: Flags(True, True)}
    await cache.set_flags({})
    assert await cache.flags(READER, [POST]) == {POST: Flags(False, True)}


async def test_one_flag_alone_is_not_an_answer(cache: EngagementCache) -> None:
    """A like caches that flag only: whether the reader reposted is still for SQL to say."""
    await cache.set_liked(READER, POST, True)
    assert await cache.flags(READER, [POST]) == {}


@pytest.fixture
async def complete(redis_prefix: str) -> AsyncIterator[tuple[RedisEngagementCache, Redis]]:
    """The Redis cache, which keeps a reader's flags complete from a post on."""
    redis = Redis.from_url(REDIS_URL)
    yield RedisEngagementCache(redis, Keys(redis_prefix), TTL), redis
    await redis.aclose()


async def test_a_complete_fill_answers_for_every_later_post_with_the_likes_alone(
    complete: tuple[RedisEngagementCache, Redis], redis_prefix: str
) -> None:
    cache, redis = complete
    shown = {POST: Flags(True, False), REPOST: Flags(False, False), NEWER: Flags(False, False)}
    await cache.put_flags(READER, shown, complete_since=POST)
    later = NEWER + 1_000
    assert await cache.flags(READER, [OLDER, POST, REPOST, NEWER, later]) == {
        POST: Flags(True, False),
        REPOST: Flags(False, False),
        NEWER: Flags(False, False),
        later: Flags(False, False),
    }  # OLDER is before the mark: not known
    fields = await redis.hgetall(Keys(redis_prefix).flags(READER))
    assert set(fields) == {b"since", member(POST).encode()}  # "neither" takes no field


async def test_a_complete_fill_moves_the_mark_back_only(
    complete: tuple[RedisEngagementCache, Redis],
) -> None:
    cache, _ = complete
    await cache.put_flags(READER, {}, complete_since=POST)
    await cache.put_flags(READER, {}, complete_since=NEWER)  # complete from later: no news
    assert await cache.flags(READER, [POST, OLDER]) == {POST: Flags(False, False)}
    await cache.put_flags(READER, {OLDER: Flags(False, True)}, complete_since=OLDER)
    assert await cache.flags(READER, [OLDER, POST]) == {
        OLDER: Flags(False, True),
        POST: Flags(False, False),
    }


async def test_actions_on_posts_the_mark_covers_are_whole_answers(
    complete: tuple[RedisEngagementCache, Redis],
) -> None:
    cache, _ = complete
    await cache.put_flags(READER, {}, complete_since=POST)
    await cache.set_liked(READER, NEWER, True)  # not reposted: the mark says so
    assert await cache.flags(READER, [NEWER]) == {NEWER: Flags(True, False)}
    await cache.set_liked(READER, OLDER, True)  # before the mark: reposted is not known
    assert await cache.flags(READER, [OLDER]) == {}


async def test_a_late_complete_fill_never_undoes_an_unlike(
    complete: tuple[RedisEngagementCache, Redis],
) -> None:
    """The fill read SQL while the post was still liked; the unlike's own write came first."""
    cache, _ = complete
    await cache.put_flags(READER, {NEWER: Flags(True, False)}, complete_since=POST)
    await cache.set_liked(READER, NEWER, False)
    await cache.put_flags(READER, {NEWER: Flags(True, False)}, complete_since=POST)
    assert await cache.flags(READER, [NEWER]) == {NEWER: Flags(False, False)}


async def test_flags_set_from_the_database_are_kept_under_the_mark(
    complete: tuple[RedisEngagementCache, Redis],
) -> None:
    """A field saying neither stays, so a later complete fill that read SQL earlier cannot
    write back a like the database no longer holds."""
    cache, _ = complete
    await cache.put_flags(READER, {NEWER: Flags(True, False)}, complete_since=POST)
    await cache.set_flags({(READER, NEWER): Flags(False, False)})
    await cache.put_flags(READER, {NEWER: Flags(True, False)}, complete_since=POST)
    assert await cache.flags(READER, [NEWER]) == {NEWER: Flags(False, False)}


async def test_a_half_known_field_the_mark_covers_is_answered(
    complete: tuple[RedisEngagementCache, Redis],
) -> None:
    """An unlike while the hash was lost leaves "0?"; the fill that then sets the mark found
    the post not reposted, and leaves the field out, so "?" is "0" from then on."""
    cache, _ = complete
    await cache.set_liked(READER, POST, False)
    assert await cache.flags(READER, [POST]) == {}
    await cache.put_flags(READER, {POST: Flags(False, False)}, complete_since=POST)
    assert await cache.flags(READER, [POST]) == {POST: Flags(False, False)}
