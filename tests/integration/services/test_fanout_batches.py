"""Fanout of runs of new posts together (``Fanout.handle_batch``) leaves every feed exactly as
fanout of one event at a time does. The same operations happen in two groups of people on one
roost, one group's events drained in batches, the other's one at a time, and their feeds are
compared entry by entry: what reads show, and what the store holds. In all modes, with fanout
batches so small that every way of reading followers is taken (many authors' at once, in
groups, paged)."""

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

PEOPLE = 4
person = st.integers(min_value=0, max_value=PEOPLE - 1)
index = st.integers(min_value=0, max_value=2)
operation = st.one_of(
    st.tuples(st.just("post"), person),
    st.tuples(st.just("post"), person),  # twice as likely: runs of posts
    st.tuples(st.just("repost"), person, person, index),
    st.tuples(st.just("unrepost"), person, person, index),
    st.tuples(st.just("delete"), person, index),
    st.tuples(st.just("follow"), person, person),
    st.tuples(st.just("unfollow"), person, person),
    st.tuples(st.just("age"), person),
    st.tuples(st.just("read"), person),
    st.tuples(st.just("drain")),
)


@dataclass
class Group:
    """One group of people and what their operations made."""

    people: list[User]
    consumers: Consumers
    posts: dict[int, list[int]] = field(default_factory=lambda: {p: [] for p in range(PEOPLE)})
    made_by: dict[int, int] = field(default_factory=dict)  # tweet id -> the operation's index
    seen: list[list[int]] = field(default_factory=list)  # what reads showed, as made_by

    def named(self, tweet_ids: list[int]) -> list[int]:
        return [self.made_by[tweet_id] for tweet_id in tweet_ids]


async def apply(roost: Roost, group: Group, at: int, op: tuple[object, ...]) -> None:
    kind, args = op[0], [int(a) for a in op[1:]]  # type: ignore[call-overload]
    people = group.people
    if kind == "post":
        group.made_by[(await roost.publishing.publish(people[args[0]], "hi")).id] = at
        group.posts[args[0]].append(max(group.made_by))
    elif kind in ("repost", "unrepost"):
        who, author, which = args
        if which < len(group.posts[author]):
            original = group.posts[author][which]
            if kind == "repost":
                repost, _ = await roost.interactions.repost(people[who], original)
                group.made_by.setdefault(repost.id, at)
            else:
                await roost.interactions.unrepost(people[who], original)
    elif kind == "delete":
        author, which = args
        if which < len(group.posts[author]):
            await roost.publishing.delete(people[author], group.posts[author].pop(which))
    elif kind in ("follow", "unfollow") and args[0] != args[1]:
        a, b = args
        if kind == "follow":
            await roost.follows.follow(people[a], people[b].handle)
        else:
            await roost.follows.unfollow(people[a], people[b].handle)
    elif kind == "age":
        async with roost.engines.writer.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == people[args[0]].id)
                .values(last_seen_at=datetime.now(UTC) - timedelta(days=365))
            )
    elif kind == "read":
        await group.consumers.drain()
        group.seen.append(group.named(await read_all(roost, people[args[0]])))
    elif kind == "drain":
        await group.consumers.drain()


async def run(roost: Roost, ops: list[tuple[object, ...]], *, batched: bool) -> Group:
    tag = uuid.uuid4().hex[:8]
    people = [
        await roost.accounts.register(f"b{n}_{tag}", "correct horse", None) for n in range(PEOPLE)
    ]
    group = Group(people, Consumers(roost, batched=batched))
    await group.consumers.drain()
    for at, op in enumerate(ops):
        await apply(roost, group, at, op)
    await group.consumers.drain()
    for reader in people:
        group.seen.append(group.named(await read_all(roost, reader)))
    for reader in people:
        stored = await stored_ids(roost, reader.id)
        group.seen.append([-1] if stored is None else group.named(stored))
    return group


async def scenario(base: Settings, ops: list[tuple[object, ...]]) -> None:
    roost = build(base)
    roost.start()
    try:
        batched = await run(roost, ops, batched=True)
        one_by_one = await run(roost, ops, batched=False)
        assert batched.seen == one_by_one.seen
    finally:
        await roost.close()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(operation, min_size=1, max_size=30),
    batch_size=st.sampled_from([1, 2, 3, 1000]),
    threshold=st.sampled_from([2, 3]),
)
def test_batches_give_the_feeds_one_event_at_a_time_gives(
    settings: Settings, ops: list[tuple[object, ...]], batch_size: int, threshold: int
) -> None:
    base = settings.model_copy(
        update={
            "feed_max_items": 4,
            "celebrity_threshold": threshold,
            "fanout_batch_size": batch_size,
        }
    )
    asyncio.run(upgrade_async(base.database_url))
    asyncio.run(scenario(base, ops))


async def test_an_author_whose_follower_count_lags_is_paged_not_cut_short(
    settings: Settings,
) -> None:
    """Followers are read for many authors at once by their counts; a count behind the
    follows themselves must not lose a follower the post."""
    await upgrade_async(settings.database_url)
    roost = build(settings.model_copy(update={"fanout_batch_size": 2}))
    roost.start()
    try:
        tag = uuid.uuid4().hex[:8]
        author, quiet, *fans = [
            await roost.accounts.register(f"c{n}_{tag}", "correct horse", None) for n in range(5)
        ]
        for fan in fans:
            await roost.follows.follow(fan, author.handle)
        await roost.follows.follow(fans[0], quiet.handle)
        drain = Consumers(roost).drain
        await drain()
        async with roost.engines.writer.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id == author.id).values(followers_count=0)
            )
        posts = [
            await roost.publishing.publish(quiet, "first"),
            await roost.publishing.publish(author, "second"),
            await roost.publishing.publish(quiet, "third"),
        ]
        await drain()
        ids = [post.id for post in reversed(posts)]
        assert await read_all(roost, fans[0]) == ids
        for fan in fans[1:]:
            assert await read_all(roost, fan) == [ids[1]]
    finally:
        await roost.close()


async def test_each_feed_keeps_the_first_entry_of_an_original_in_a_run(
    settings: Settings,
) -> None:
    """In one run, a post whose author's followers are paged and a post whose author's are
    read with others' reach a common follower in the order of their events."""
    await upgrade_async(settings.database_url)
    roost = build(settings.model_copy(update={"fanout_batch_size": 2}))
    roost.start()
    try:
        tag = uuid.uuid4().hex[:8]
        paged, few, other, reader, fan = [
            await roost.accounts.register(f"d{n}_{tag}", "correct horse", None) for n in range(5)
        ]
        for follower, followee in [(reader, paged), (fan, paged), (reader, few)]:
            await roost.follows.follow(follower, followee.handle)
        drain = Consumers(roost).drain
        elsewhere = await roost.publishing.publish(other, "not followed")
        await drain()

        post = await roost.publishing.publish(paged, "first")
        await roost.interactions.repost(few, post.id)  # the reader has the post: left out
        repost, _ = await roost.interactions.repost(few, elsewhere.id)
        await roost.interactions.repost(paged, elsewhere.id)  # the reader has few's repost
        await drain()
        assert await read_all(roost, reader) == [repost.id, post.id]
    finally:
        await roost.close()
