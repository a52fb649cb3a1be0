"""Property: whatever happens (posts, reposts and their undoing, deletes, follows, unfollows,
authors crossing the celebrity threshold), once fanout has caught up every feed shows each
original post at most once, and exactly the originals that its owner's and followees' live posts
and reposts show. In all modes (pushed entries, and celebrities' entries merged on read)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import Roost, build
from roost.domain.users import User
from roost.settings import Settings
from tests.integration.support import Consumers

PEOPLE = 3
index = st.integers(min_value=0, max_value=2)
person = st.integers(min_value=0, max_value=PEOPLE - 1)
operation = st.one_of(
    st.tuples(st.just("post"), person),
    st.tuples(st.just("repost"), person, person, index),
    st.tuples(st.just("unrepost"), person, person, index),
    st.tuples(st.just("delete"), person, index),
    st.tuples(st.just("follow"), person, person),
    st.tuples(st.just("unfollow"), person, person),
    st.tuples(st.just("drain")),
)


@dataclass
class Reference:
    follows: set[tuple[int, int]] = field(default_factory=set)
    posts: dict[int, list[int]] = field(default_factory=lambda: {p: [] for p in range(PEOPLE)})
    reposts: dict[tuple[int, int], int] = field(default_factory=dict)  # (who, original) -> id

    def origins(self, reader: int) -> set[int]:
        authors = {reader} | {b for a, b in self.follows if a == reader}
        live = {post for author in authors for post in self.posts[author]}
        every_post = {post for posts in self.posts.values() for post in posts}
        shared = {o for (who, o) in self.reposts if who in authors and o in every_post}
        return live | shared


async def read_origins(roost: Roost, reader: User) -> list[int]:
    shown: list[int] = []
    cursor = None
    while True:
        page = await roost.home_feed.page(reader, cursor, 3)
        for item in page.items:
            tweet = msgspec.json.decode(item)
            shown.append(int((tweet["repost_of"] or tweet)["id"]))
        if page.next_cursor is None:
            return shown
        cursor = page.next_cursor


async def scenario(base: Settings, ops: list[tuple[object, ...]]) -> None:
    roost = build(base)
    roost.start()
    try:
        tag = uuid.uuid4().hex[:8]
        people = [
            await roost.accounts.register(f"r{n}_{tag}", "correct horse", None)
            for n in range(PEOPLE)
        ]
        model = Reference()
        for op in ops:
            await apply(roost, people, model, op)
        await Consumers(roost).drain()
        for reader in range(PEOPLE):
            shown = await read_origins(roost, people[reader])
            assert len(shown) == len(set(shown)), f"reader {reader} sees a post twice: {shown}"
            assert set(shown) == model.origins(reader), f"reader {reader}"
    finally:
        await roost.close()


async def apply(roost: Roost, people: list[User], model: Reference, op: tuple[object, ...]) -> None:
    kind, args = op[0], [int(a) for a in op[1:]]  # type: ignore[call-overload]
    if kind == "post":
        model.posts[args[0]].append((await roost.publishing.publish(people[args[0]], "hi")).id)
    elif kind in ("repost", "unrepost"):
        who, author, at = args
        if at < len(model.posts[author]):
            original = model.posts[author][at]
            if kind == "repost":
                repost, _ = await roost.interactions.repost(people[who], original)
                model.reposts[(who, original)] = repost.id
            else:
                await roost.interactions.unrepost(people[who], original)
                model.reposts.pop((who, original), None)
    elif kind == "delete":
        author, at = args
        if at < len(model.posts[author]):
            gone = model.posts[author].pop(at)
            await roost.publishing.delete(people[author], gone)
            model.reposts = {k: v for k, v in model.reposts.items() if k[1] != gone}
    elif kind in ("follow", "unfollow") and args[0] != args[1]:
        a, b = args
        if kind == "follow":
            await roost.follows.follow(people[a], people[b].handle)
            model.follows.add((a, b))
        else:
            await roost.follows.unfollow(people[a], people[b].handle)
            model.follows.discard((a, b))
    elif kind == "drain":
        await Consumers(roost).drain()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=30))
def test_every_feed_shows_each_original_once(
    settings: Settings, ops: list[tuple[object, ...]]
) -> None:
    base = settings.model_copy(update={"feed_max_items": 100, "celebrity_threshold": 2})
    asyncio.run(upgrade_async(base.database_url))
    asyncio.run(scenario(base, ops))
