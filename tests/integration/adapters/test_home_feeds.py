"""One behavioural suite for every HomeFeeds adapter: SQL (SQLite, PostgreSQL) and Redis."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from roost.adapters.redis.feed_store import RedisHomeFeeds
from roost.adapters.redis.keys import Keys
from roost.adapters.redis.multiplexed import MultiplexedRedis
from roost.adapters.sql.engine import Engines, create_engines
from roost.adapters.sql.feed_store import SqlHomeFeeds
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import feeds, followers, tweets, users
from roost.domain.ids import MAX_ID
from roost.domain.tweets import FeedEntry, original
from roost.ports import HomeFeeds
from tests.conftest import REDIS_URL

CAP = 5
OWNERS = [101, 102, 103]
TWINS = [104, 105, 106]  # fed by push_many what OWNERS are fed by push
AUTHOR = 900  # pulled by 101


@dataclass
class Backend:
    """A store, and for the SQL stores the source of truth they read pulled posts from."""

    store: HomeFeeds
    engines: Engines | None = None

    async def pull(self, owner: int, author: int) -> None:
        """``owner`` follows ``author``, whose posts are pulled, and they are stored."""
        if self.engines is None:
            await self.store.set_author_posts(author, [])
            await self.store.set_pulled_authors(owner, [author])
            return
        async with self.engines.writer.begin() as conn:
            await conn.execute(users.insert().values(**_user(author), pulled=True))
            await conn.execute(
                followers.insert().values(
                    id=owner * 1000 + author,
                    follower_id=owner,
                    followee_id=author,
                    created_at=datetime.now(UTC),
                )
            )

    async def post(self, author: int, entry: FeedEntry) -> None:
        """Record a new post where the store reads pulled posts from (SQL: ``tweets``)."""
        if self.engines is not None:
            async with self.engines.writer.begin() as conn:
                await conn.execute(
                    tweets.insert().values(
                        id=entry.tweet_id,
                        author_id=author,
                        content="" if entry.is_repost else "hi",
                        created_at=datetime.now(UTC),
                        repost_of=entry.origin_id if entry.is_repost else None,
                    )
                )


def _user(user_id: int) -> dict[str, object]:
    handle = f"u{user_id}"
    return {
        "id": user_id,
        "handle": handle,
        "handle_key": handle,
        "display_name": "u",
        "password_hash": "x",
        "created_at": datetime.now(UTC),
    }


@contextlib.asynccontextmanager
async def redis_feeds(prefix: str) -> AsyncIterator[tuple[RedisHomeFeeds, Redis]]:
    """The Redis store as roost wires it: pages read through the shared connection."""
    redis = Redis.from_url(REDIS_URL)
    reads = MultiplexedRedis(REDIS_URL)
    try:
        yield RedisHomeFeeds(redis, reads, Keys(prefix), CAP), redis
    finally:
        await reads.close()
        await redis.aclose()


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "redis":
        async with redis_feeds(request.getfixturevalue("redis_prefix")) as (store, _):
            for owner in OWNERS + TWINS:
                await store.materialise(owner, [])
                await store.set_pulled_authors(owner, [])
            yield Backend(store)
        return
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    await upgrade_async(url)
    engines = create_engines(url)
    async with engines.writer.begin() as conn:
        for owner in OWNERS + TWINS:
            await conn.execute(users.insert().values(**_user(owner)))
            await conn.execute(feeds.insert().values(id=owner, owner_id=owner, kind="home"))
    yield Backend(SqlHomeFeeds(engines, CAP), engines)
    await engines.dispose()


@pytest.fixture
def store(backend: Backend) -> HomeFeeds:
    return backend.store


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


# (entry, indexes of the feeds it goes to): 0 fills up (CAP 5), then an old post goes in and is
# trimmed at once, so a repost of it is added after; 1 shows 3 and so keeps its repost out; 2
# is a feed that does not exist.
PUSHES = [
    *[(original(tweet_id), [0]) for tweet_id in (10, 9, 8, 7, 6)],
    (original(3), [0, 1, 2]),
    (FeedEntry(11, 3), [0, 1, 2]),
    (FeedEntry(12, 9), [0]),  # 9 is shown: left out
    (original(13), [1, 0, 2]),
    (original(13), [0, 1]),  # again: nothing new
]


async def test_push_many_is_the_pushes_one_after_another(store: HomeFeeds) -> None:
    one_by_one = [OWNERS[0], OWNERS[1], 999]
    added = [await store.push(e, [one_by_one[i] for i in feeds]) for e, feeds in PUSHES]
    together = [TWINS[0], TWINS[1], 998]
    pushes = [(entry, [together[i] for i in feeds]) for entry, feeds in PUSHES]

    assert await store.push_many(pushes) == sum(added) == 10
    assert await store.push_many([]) == await store.push_many([(original(14), [])]) == 0
    for _ in range(2):  # the second time redelivered: the feeds do not change
        assert await ids(store, OWNERS[0]) == await ids(store, TWINS[0]) == [13, 11, 10, 9, 8]
        assert await ids(store, OWNERS[1]) == await ids(store, TWINS[1]) == [13, 3]
        assert await store.page(999, MAX_ID, 10) is await store.page(998, MAX_ID, 10) is None
        await store.push_many(pushes)


async def test_dropped_feeds_are_missing_until_materialised(store: HomeFeeds) -> None:
    await store.push(FeedEntry(20, 10), OWNERS)  # a repost: indexed by its original
    await store.drop([OWNERS[0], OWNERS[1], 999])
    assert await store.push(original(30), OWNERS) == 1
    assert await store.page(OWNERS[0], MAX_ID, 10) is None
    assert await store.page(OWNERS[1], MAX_ID, 10) is None
    assert await ids(store, OWNERS[2]) == [30, 20]
    await store.materialise(OWNERS[0], originals(10))
    await store.set_pulled_authors(OWNERS[0], [])
    assert await ids(store, OWNERS[0]) == [10]  # nothing of the dropped feed is left over
    await store.drop([])


async def test_new_posts_join_their_authors_stored_posts_in_order(backend: Backend) -> None:
    store = backend.store
    await backend.pull(OWNERS[0], AUTHOR)
    posts = [original(20), original(30), FeedEntry(40, 20), original(50)]
    for entry in posts:
        await backend.post(AUTHOR, entry)
    await store.add_author_posts([(AUTHOR, entry) for entry in posts])
    await store.add_author_posts([(AUTHOR, posts[1])])  # again: nothing changes
    await store.add_author_posts([])

    assert await ids(store, OWNERS[0]) == [50, 30, 20]  # the repost of 20 is left out
    assert await ids(store, OWNERS[1]) == []  # home feeds are not written


async def test_pages_merge_pushed_and_pulled_entries_at_every_bound_and_size(
    backend: Backend,
) -> None:
    """Pulled entries reach a page wherever they fall among its pushed ones: above them,
    between them, below a full page of them (where they are left for the next page); one the
    feed holds too (a feed rebuilt from SQL holds its pulled authors' posts) is shown once."""
    store = backend.store
    await backend.pull(OWNERS[0], AUTHOR)
    pulled = originals(20, 30, 50, 60)
    for entry in pulled:
        await backend.post(AUTHOR, entry)
    await store.add_author_posts([(AUTHOR, entry) for entry in pulled])
    for entry in originals(10, 40, 45, 50, 70):
        await store.push(entry, [OWNERS[0]])
    every = [70, 60, 50, 45, 40, 30, 20, 10]

    for before in [MAX_ID, *every]:
        for limit in range(1, len(every) + 2):
            expected = [tweet_id for tweet_id in every if tweet_id < before][:limit]
            assert await ids(store, OWNERS[0], before, limit) == expected, (before, limit)


async def test_new_posts_of_an_author_whose_posts_are_not_stored_are_not_kept(
    redis_prefix: str,
) -> None:
    """Redis keeps authors' recent posts only once rebuilt: a list is never begun piecemeal."""
    async with redis_feeds(redis_prefix) as (store, _):
        await store.materialise(201, [])
        await store.set_pulled_authors(201, [AUTHOR])
        await store.add_author_posts([(AUTHOR, original(20))])
        found = await store.page(201, MAX_ID, 10)
        assert found is not None
        assert found.missing_author_posts == [AUTHOR]


async def test_a_missing_redis_feed_is_not_pushed_to_and_reads_as_missing(
    redis_prefix: str,
) -> None:
    async with redis_feeds(redis_prefix) as (store, _):
        assert await store.push(original(1), [201]) == 0
        await store.backfill(201, originals(1, 2))
        assert await store.page(201, MAX_ID, 10) is None
        await store.materialise(201, originals(1, 2))
        assert (await store.page(201, MAX_ID, 10)).pulled_authors_known is False  # type: ignore[union-attr]
        await store.set_pulled_authors(201, [])
        await store.materialise(201, originals(3))  # merges into what is there
        assert await ids(store, 201) == [3, 2, 1]


async def test_a_dropped_redis_feed_leaves_no_key(redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    async with redis_feeds(redis_prefix) as (store, redis):
        for owner in (201, 202):
            await store.materialise(owner, [FeedEntry(20, 10)])  # a repost: indexed
        assert await redis.exists(keys.home_feed(201), keys.home_feed(201) + ":o") == 2
        await store.drop([201, 202])
        assert await redis.keys(f"{redis_prefix}*") == []
