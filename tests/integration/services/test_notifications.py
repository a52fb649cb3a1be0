"""Notifications from the event log, in every mode: who is notified of what, grouping, reading,
replays, and live delivery to a session."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest

from roost.bootstrap import Roost
from roost.domain.errors import RateLimited
from roost.domain.users import User
from roost.services.live import SESSIONS_PER_USER
from roost.services.stream import LiveEvent
from tests.integration.support import Consumers, live_session, until

MakeUser = Callable[[str], Awaitable[User]]


async def notifications(roost: Roost, user: User, **options: Any) -> list[dict[str, Any]]:
    page = await roost.notifications.page(user, None, 100, **options)
    return [msgspec.json.decode(item) for item in page.items]


def summary(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(n["type"], n["actor"]["handle"]) for n in found]


async def test_each_interaction_notifies_its_target_and_nobody_else(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(bob, "alice")
    post = await roost.publishing.publish(alice, "hello")
    await roost.interactions.like(bob, post.id)
    await roost.interactions.repost(bob, post.id)
    reply = await roost.publishing.publish(bob, "@alice hi back", in_reply_to=post.id)
    await roost.publishing.publish(bob, "thinking of @alice")
    await roost.interactions.like(alice, post.id)  # one's own: no notification
    await roost.publishing.publish(alice, "@alice note to self")
    await fanout.drain()

    found = await notifications(roost, alice)
    assert summary(found) == [
        ("mention", "bob"),
        ("reply", "bob"),  # the reply mentions alice too: one notification, not two
        ("repost", "bob"),
        ("like", "bob"),
        ("follow", "bob"),
    ]
    assert found[1]["tweet"]["id"] == str(reply.id)
    assert found[3]["tweet"]["id"] == str(post.id)
    assert found[4]["tweet"] is None
    assert all(n["read"] is False for n in found)
    assert await notifications(roost, bob) == []


async def test_an_undone_like_withdraws_its_unread_notification(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    post = await roost.publishing.publish(alice, "fickle")
    await roost.interactions.like(bob, post.id)
    await roost.interactions.unlike(bob, post.id)  # before the consumer ran
    await fanout.drain()
    assert await notifications(roost, alice) == []

    await roost.interactions.like(bob, post.id)
    await fanout.drain()
    assert summary(await notifications(roost, alice)) == [("like", "bob")]
    await roost.interactions.unlike(bob, post.id)
    await fanout.drain()
    assert await notifications(roost, alice) == []

    await roost.interactions.like(bob, post.id)
    await fanout.drain()
    [read] = await notifications(roost, alice)
    await roost.notifications.mark_read(alice, int(read["id"]))
    await roost.interactions.unlike(bob, post.id)
    await fanout.drain()
    assert summary(await notifications(roost, alice)) == [("like", "bob")]  # read: kept


async def test_replaying_the_event_log_creates_no_duplicates(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    await roost.follows.follow(bob, "alice")
    post = await roost.publishing.publish(alice, "@carol look")
    await roost.interactions.like(bob, post.id)
    await roost.interactions.repost(carol, post.id)
    await fanout.drain()
    before = (await notifications(roost, alice), await notifications(roost, carol))

    replay = Consumers(roost, suffix="-replay")  # new positions: the whole log again
    assert await replay.drain() > 0
    assert (await notifications(roost, alice), await notifications(roost, carol)) == before
    assert len(before[0]) == 3


async def test_unread_count_and_marking_read(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    for name in ["bob", "carol", "dave"]:
        await roost.follows.follow(await make_user(name), "alice")
    await fanout.drain()
    assert await roost.notifications.unread_count(alice) == 3
    newest, middle, _ = await notifications(roost, alice)
    assert await roost.notifications.mark_read(alice, int(middle["id"])) == 2
    assert await roost.notifications.unread_count(alice) == 1
    assert [n["read"] for n in await notifications(roost, alice)] == [False, True, True]
    await roost.notifications.mark_read(alice, int(newest["id"]))
    assert await roost.notifications.unread_count(alice) == 0


async def test_likes_of_one_post_and_follows_of_one_day_are_grouped(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    post = await roost.publishing.publish(alice, "popular")
    other = await roost.publishing.publish(alice, "less so")
    fans = [await make_user(f"fan{n}") for n in range(5)]
    for fan in fans:
        await roost.interactions.like(fan, post.id)
        await roost.follows.follow(fan, "alice")
    await roost.interactions.like(fans[0], other.id)
    await roost.publishing.publish(fans[1], "hey @alice")
    await fanout.drain()

    groups = await notifications(roost, alice, grouped=True)
    assert [(g["type"], g["count"]) for g in groups] == [
        ("mention", 1),
        ("like", 1),
        ("follow", 5),
        ("like", 5),
    ]
    assert [a["handle"] for a in groups[2]["actors"]] == ["fan4", "fan3", "fan2"]
    assert groups[3]["tweet"]["id"] == str(post.id)
    assert groups[1]["tweet"]["id"] == str(other.id)

    page = await roost.notifications.page(alice, None, 2, grouped=True)
    rest = await roost.notifications.page(alice, page.next_cursor, 2, grouped=True)
    assert [msgspec.json.decode(g)["group_key"] for g in page.items + rest.items] == [
        g["group_key"] for g in groups
    ]
    assert rest.next_cursor is None


async def next_event(events: Any, kind: str) -> LiveEvent:
    while True:
        event: LiveEvent = await asyncio.wait_for(events.__anext__(), 5)
        if event.kind == kind:
            return event


async def test_a_live_session_gets_new_notifications_and_feed_entries(
    roost: Roost, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    consumers = Consumers(roost)
    running = [asyncio.create_task(loop.run()) for loop in consumers.loops]
    events = roost.stream.events(await live_session(roost, alice), None)
    first = asyncio.ensure_future(next_event(events, "notification"))
    try:
        await asyncio.sleep(0.2)  # the session is open
        await roost.follows.follow(bob, "alice")
        followed = await first
        assert msgspec.json.decode(followed.data)["type"] == "follow"
        await roost.follows.follow(alice, "bob")
        post = await roost.publishing.publish(bob, "live")
        entry = await next_event(events, "feed")
        assert msgspec.json.decode(entry.data)["id"] == str(post.id)
    finally:
        await events.aclose()
        for loop in consumers.loops:
            loop.stop()
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert roost.live.connected == 0

    # reconnecting after the follow notification: what came since is replayed, nothing more
    await roost.interactions.like(bob, post.id)  # bob's own post: nobody to notify
    mine = await roost.publishing.publish(alice, "mine")
    await roost.interactions.like(bob, mine.id)
    await Consumers(roost).drain()
    replay = roost.stream.events(await live_session(roost, alice), followed.id)
    try:
        liked = await next_event(replay, "notification")
        assert msgspec.json.decode(liked.data)["type"] == "like"
        assert int(liked.id or 0) > int(followed.id or 0)
    finally:
        await replay.aclose()


async def test_a_user_may_keep_only_so_many_streams_open(roost: Roost, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    session = await live_session(roost, alice)
    waiting = []
    for _ in range(SESSIONS_PER_USER):
        roost.stream.admit(alice)
        waiting.append(asyncio.ensure_future(anext(roost.stream.events(session, None))))
    await until(lambda: roost.live.connected == SESSIONS_PER_USER)  # each stream has opened
    assert roost.live.connected == SESSIONS_PER_USER
    with pytest.raises(RateLimited):
        roost.stream.admit(alice)
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    await until(lambda: roost.live.connected == 0)  # a cancelled stream closes as it unwinds
    assert roost.live.connected == 0
    roost.stream.admit(alice)
