"""Property: whatever happens (posts, deletes, follows, unfollows, users going inactive, authors
crossing the celebrity threshold, the threshold itself changing), every user's feed equals the
reference feed: their own and their followees' live posts, newest first, capped. In all modes."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import users
from roost.bootstrap import Roost, build
from roost.domain.users import User
from roost.settings import Settings
from tests.integration.support import Consumers, read_all, stored_ids

PEOPLE = 5
CAP = 4

person = st.integers(min_value=0, max_value=PEOPLE - 1)
operation = st.one_of(
    st.tuples(st.just("post"), person),
    st.tuples(st.just("delete"), person, st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("follow"), person, person),
    st.tuples(st.just("unfollow"), person, person),
    st.tuples(st.just("read"), person),
    st.tuples(st.just("age"), person),
    st.tuples(st.just("drain")),
    st.tuples(st.just("threshold"), st.integers(min_value=1, max_value=4)),
)


@dataclass
class Reference:
    """The feeds as they should be, kept in plain Python."""

    follows: set[tuple[int, int]] = field(default_factory=set)
    posts: dict[int, list[int]] = field(default_factory=lambda: {p: [] for p in range(PEOPLE)})

    def feed(self, reader: int) -> list[int]:
        authors = {reader} | {b for a, b in self.follows if a == reader}
        return sorted((t for a in authors for t in self.posts[a]), reverse=True)[:CAP]


async def scenario(base: Settings, ops: list[tuple[object, ...]]) -> None:
    current = base
    roost = build(current)
    roost.start()
    try:
        tag = uuid.uuid4().hex[:8]
        people = [
            await roost.accounts.register(f"p{n}_{tag}", "correct horse", None)
            for n in range(PEOPLE)
        ]
        model = Reference()
        await Consumers(roost).drain()
        for op in ops:
            kind = op[0]
            if kind == "post":
                author = int(op[1])  # type: ignore[call-overload]
                tweet = await roost.publishing.publish(people[author], "hello")
                model.posts[author].append(tweet.id)
            elif kind == "delete":
                author, index = int(op[1]), int(op[2])  # type: ignore[call-overload]
                if index < len(model.posts[author]):
                    await roost.publishing.delete(people[author], model.posts[author].pop(index))
            elif kind in ("follow", "unfollow"):
                a, b = int(op[1]), int(op[2])  # type: ignore[call-overload]
                if a != b:
                    if kind == "follow":
                        await roost.follows.follow(people[a], people[b].handle)
                        model.follows.add((a, b))
                    else:
                        await roost.follows.unfollow(people[a], people[b].handle)
                        model.follows.discard((a, b))
            elif kind == "read":  # fanout is asynchronous: compare once it has caught up
                reader = int(op[1])  # type: ignore[call-overload]
                await Consumers(roost).drain()
                assert await read_all(roost, people[reader]) == model.feed(reader)
            elif kind == "age":
                async with roost.engines.writer.begin() as conn:
                    long_ago = datetime.now(UTC) - timedelta(days=365)
                    await conn.execute(
                        update(users)
                        .where(users.c.id == people[int(op[1])].id)
                        .values(last_seen_at=long_ago)  # type: ignore[call-overload]
                    )
            elif kind == "drain":
                await Consumers(roost).drain()
            elif kind == "threshold":
                await Consumers(roost).drain()
                await roost.close()
                current = current.model_copy(update={"celebrity_threshold": op[1]})
                roost = build(current)
                roost.start()
                await roost.fanout.reconcile_all()
        await Consumers(roost).drain()
        for reader in range(PEOPLE):
            assert await read_all(roost, people[reader]) == model.feed(reader), f"reader {reader}"
    finally:
        await roost.close()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=30))
def test_every_feed_equals_the_reference(settings: Settings, ops: list[tuple[object, ...]]) -> None:
    base = settings.model_copy(update={"feed_max_items": CAP, "celebrity_threshold": 2})
    asyncio.run(upgrade_async(base.database_url))
    asyncio.run(scenario(base, ops))


async def _people(roost: Roost, count: int) -> list[User]:
    tag = uuid.uuid4().hex[:8]
    return [
        await roost.accounts.register(f"q{n}_{tag}", "correct horse", None) for n in range(count)
    ]


async def test_an_author_crossing_the_threshold_both_ways_loses_and_doubles_nothing(
    settings: Settings,
) -> None:
    await upgrade_async(settings.database_url)
    roost = build(settings.model_copy(update={"celebrity_threshold": 2, "feed_max_items": 10}))
    roost.start()
    try:
        star, fan, other = await _people(roost, 3)
        drain = Consumers(roost).drain
        await roost.follows.follow(fan, star.handle)
        early = await roost.publishing.publish(star, "pushed")
        await drain()
        await roost.follows.follow(other, star.handle)  # two followers: pulled from now on
        await drain()
        assert (await roost.accounts.by_handle(star.handle)).pulled
        pulled = await roost.publishing.publish(star, "pulled")
        await drain()
        assert await read_all(roost, fan) == [pulled.id, early.id]

        await roost.follows.unfollow(other, star.handle)  # back to pushed
        await drain()
        assert not (await roost.accounts.by_handle(star.handle)).pulled
        pushed = await roost.publishing.publish(star, "pushed again")
        await drain()
        assert await read_all(roost, fan) == [pushed.id, pulled.id, early.id]
        assert await read_all(roost, other) == []
    finally:
        await roost.close()


async def test_inactive_followers_are_skipped_then_rebuilt_whole(settings: Settings) -> None:
    await upgrade_async(settings.database_url)
    roost = build(settings)
    roost.start()
    try:
        author, sleeper = await _people(roost, 2)
        drain = Consumers(roost).drain
        await roost.follows.follow(sleeper, author.handle)
        first = await roost.publishing.publish(author, "while awake")
        await drain()
        assert await read_all(roost, sleeper) == [first.id]
        async with roost.engines.writer.begin() as conn:
            long_ago = datetime.now(UTC) - timedelta(days=30)
            await conn.execute(
                update(users).where(users.c.id == sleeper.id).values(last_seen_at=long_ago)
            )
        second = await roost.publishing.publish(author, "while asleep")
        await drain()
        assert await stored_ids(roost, sleeper.id) is None  # dropped, not pushed to
        assert await read_all(roost, sleeper) == [second.id, first.id]  # rebuilt whole
        assert await stored_ids(roost, sleeper.id) == [second.id, first.id]
        seen = (await roost.accounts.by_handle(sleeper.handle)).last_seen_at
        assert seen is not None
        assert seen > datetime.now(UTC) - timedelta(minutes=1)
    finally:
        await roost.close()


async def test_deleting_from_a_full_feed_brings_back_the_next_oldest(settings: Settings) -> None:
    await upgrade_async(settings.database_url)
    roost = build(settings.model_copy(update={"feed_max_items": 3}))
    roost.start()
    try:
        author, reader = await _people(roost, 2)
        await roost.follows.follow(reader, author.handle)
        posts = [await roost.publishing.publish(author, f"n{n}") for n in range(5)]
        await Consumers(roost).drain()
        assert await read_all(roost, reader) == [p.id for p in posts[:1:-1]]
        await roost.publishing.delete(author, posts[3].id)
        await Consumers(roost).drain()
        assert await read_all(roost, reader) == [posts[4].id, posts[2].id, posts[1].id]
    finally:
        await roost.close()
