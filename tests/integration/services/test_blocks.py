"""Blocks and mutes, in every mode: follows end and are refused, feeds (pushed and pulled
authors, reposts), replies, mentions, timelines and notifications hide the other account on the
very next read, paging stays exact, and undoing restores what shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest

from roost.bootstrap import Roost
from roost.domain.errors import Blocked, CannotBlockSelf, CannotMuteSelf, NotFound
from roost.domain.users import User
from roost.settings import Settings
from tests.integration.support import Consumers, read_all, stored_ids

MakeUser = Callable[[str], Awaitable[User]]
FeedIds = Callable[[User], Awaitable[list[int]]]

CELEBRITY_THRESHOLD = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"celebrity_threshold": CELEBRITY_THRESHOLD})


async def profile(roost: Roost, user: User) -> User:
    return await roost.accounts.by_handle(user.handle)


async def ids_of(page_items: list[bytes]) -> list[int]:
    return [int(msgspec.json.decode(item)["id"]) for item in page_items]


async def notified(roost: Roost, user: User, **options: Any) -> list[tuple[str, str]]:
    page = await roost.notifications.page(user, None, 100, **options)
    found = [msgspec.json.decode(item) for item in page.items]
    if options.get("grouped"):
        return [(g["type"], a["handle"]) for g in found for a in g["actors"]]
    return [(n["type"], n["actor"]["handle"]) for n in found]


async def test_a_block_removes_the_follows_both_ways_with_their_counts(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(alice, "bob")
    await roost.follows.follow(bob, "alice")
    await roost.blocks.block(alice, "bob")
    await roost.blocks.block(alice, "bob")  # again: nothing changes
    await fanout.drain()

    for user in (alice, bob):
        now = await profile(roost, user)
        assert (now.followers_count, now.following_count) == (0, 0)
    assert (await roost.follows.followers("alice", None, 10)).items == []
    assert (await roost.follows.following("alice", None, 10)).items == []
    assert [u.handle for u in (await roost.blocks.blocked(alice, None, 10)).items] == ["bob"]
    assert (await roost.blocks.blocked(bob, None, 10)).items == []


async def test_a_follow_is_refused_both_ways_while_blocked(
    roost: Roost, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.blocks.block(alice, "bob")
    with pytest.raises(Blocked):
        await roost.follows.follow(alice, "bob")
    with pytest.raises(Blocked):
        await roost.follows.follow(bob, "alice")
    await roost.blocks.unblock(alice, "bob")
    await roost.blocks.unblock(alice, "bob")  # again: nothing changes
    await roost.follows.follow(bob, "alice")
    assert (await profile(roost, alice)).followers_count == 1


async def test_blocking_or_muting_oneself_or_nobody_is_refused(
    roost: Roost, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    with pytest.raises(CannotBlockSelf):
        await roost.blocks.block(alice, "alice")
    with pytest.raises(CannotMuteSelf):
        await roost.blocks.mute(alice, "alice")
    with pytest.raises(NotFound):
        await roost.blocks.block(alice, "nobody")
    with pytest.raises(NotFound):
        await roost.blocks.unmute(alice, "nobody")


async def test_a_block_hides_each_from_the_others_feed_at_the_next_read(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    dave, erin = await make_user("dave"), await make_user("erin")
    for follower, followee in [(alice, bob), (alice, carol), (bob, alice), (bob, carol)]:
        await roost.follows.follow(follower, followee.handle)
    await roost.follows.follow(erin, "carol")
    await fanout.drain()
    by_bob = await roost.publishing.publish(bob, "bob's")
    by_alice = await roost.publishing.publish(alice, "alice's")
    by_carol = await roost.publishing.publish(carol, "carol's")
    by_dave = await roost.publishing.publish(dave, "dave's")
    await fanout.drain()
    carol_shares_bob, _ = await roost.interactions.repost(carol, by_bob.id)
    bob_shares_dave, _ = await roost.interactions.repost(bob, by_dave.id)
    await fanout.drain()
    assert await feed_ids(alice) == [bob_shares_dave.id, by_carol.id, by_alice.id, by_bob.id]
    assert await feed_ids(erin) == [carol_shares_bob.id, by_carol.id]

    await roost.blocks.block(bob, "alice")  # before fanout ran: the reads filter
    await roost.blocks.block(bob, "erin")
    assert await feed_ids(alice) == [by_carol.id, by_alice.id]
    assert await feed_ids(bob) == [bob_shares_dave.id, by_carol.id, by_bob.id]
    assert await feed_ids(erin) == [by_carol.id]  # a repost of the blocker's post
    await fanout.drain()
    assert await feed_ids(alice) == [by_carol.id, by_alice.id]
    assert await feed_ids(bob) == [bob_shares_dave.id, by_carol.id, by_bob.id]
    stored = set(await stored_ids(roost, alice.id) or [])
    assert stored.isdisjoint({by_bob.id, bob_shares_dave.id})  # carol's repost is filtered
    assert by_alice.id not in (await stored_ids(roost, bob.id) or [])

    await roost.blocks.unblock(bob, "erin")
    assert await feed_ids(erin) == [carol_shares_bob.id, by_carol.id]


async def test_a_block_hides_a_pulled_celebrity_and_its_reposts(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    star = await make_user("star")
    fans = [await make_user(f"fan{n}") for n in range(CELEBRITY_THRESHOLD)]
    for fan in fans:
        await roost.follows.follow(fan, "star")
    await fanout.drain()
    assert (await profile(roost, star)).pulled
    post = await roost.publishing.publish(star, "to the many")
    mine = await roost.publishing.publish(fans[0], "mine")
    await fanout.drain()
    assert await feed_ids(fans[0]) == [mine.id, post.id]

    await roost.blocks.block(star, fans[0].handle)
    assert await feed_ids(fans[0]) == [mine.id]
    await roost.follows.follow(fans[0], fans[1].handle)
    await fanout.drain()
    shared, _ = await roost.interactions.repost(fans[1], post.id)
    await fanout.drain()
    assert shared.id in (await stored_ids(roost, fans[0].id) or [])
    assert await feed_ids(fans[0]) == [mine.id]


async def test_a_mute_hides_posts_and_reposts_from_the_muter_only(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    await roost.follows.follow(alice, "bob")
    await roost.follows.follow(alice, "carol")
    await roost.follows.follow(bob, "alice")
    await fanout.drain()
    before = await roost.publishing.publish(bob, "before the mute")
    await fanout.drain()
    await roost.blocks.mute(alice, "bob")
    await roost.blocks.mute(alice, "bob")  # again: nothing changes
    assert await feed_ids(alice) == []
    await fanout.drain()
    during = await roost.publishing.publish(bob, "while muted")
    await fanout.drain()
    shared, _ = await roost.interactions.repost(carol, during.id)
    own = await roost.publishing.publish(alice, "still seen by bob")
    await fanout.drain()
    assert await feed_ids(alice) == [own.id]
    assert await feed_ids(bob) == [own.id, during.id, before.id]
    assert await stored_ids(roost, alice.id) == [own.id, shared.id]
    assert (await profile(roost, alice)).following_count == 2  # a mute keeps the follow
    assert [u.handle for u in (await roost.blocks.muted(alice, None, 10)).items] == ["bob"]

    await roost.blocks.unmute(alice, "bob")
    assert await feed_ids(alice) == [own.id, shared.id]  # at once: what the feed still holds
    await fanout.drain()
    assert await feed_ids(alice) == [own.id, shared.id, before.id]  # and the backfill
    assert (await roost.blocks.muted(alice, None, 10)).items == []


async def test_paging_a_filtered_feed_returns_every_visible_entry_once(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    await roost.follows.follow(alice, "bob")
    await roost.follows.follow(alice, "carol")
    await fanout.drain()
    posted = [
        await roost.publishing.publish(carol if n % 3 == 0 else bob, f"post {n}") for n in range(14)
    ]
    await fanout.drain()
    await roost.blocks.mute(alice, "bob")
    shown = await read_all(roost, alice)  # pages of three, mostly muted entries
    assert shown == [t.id for t in reversed(posted) if t.author.id == carol.id]
    page = await roost.home_feed.page(alice, None, 3)
    assert len(page.items) == 3


async def test_replies_mentions_and_timelines_hide_the_blocked_both_ways(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    post = await roost.publishing.publish(carol, "a thread")
    by_bob = await roost.publishing.publish(bob, "@alice hi", in_reply_to=post.id)
    by_alice = await roost.publishing.publish(alice, "@carol hello", in_reply_to=post.id)
    by_carol = await roost.publishing.publish(carol, "@alice also")
    bob_shares, _ = await roost.interactions.repost(bob, by_carol.id)
    await fanout.drain()
    await roost.blocks.block(alice, "bob")

    replies = await roost.timelines.replies(alice, post.id, None, 10)
    assert await ids_of(replies.items) == [by_alice.id]
    replies = await roost.timelines.replies(bob, post.id, None, 10)
    assert await ids_of(replies.items) == [by_bob.id]
    assert await ids_of((await roost.timelines.mentions(alice, None, 10)).items) == [by_carol.id]
    for reader, author in ((alice, bob), (bob, alice)):
        page = await roost.timelines.by_author(reader, author, None, 10)
        assert (page.items, page.next_cursor) == ([], None)
    seen_by_carol = await roost.timelines.by_author(carol, bob, None, 10)
    assert await ids_of(seen_by_carol.items) == [bob_shares.id, by_bob.id]

    await roost.blocks.unblock(alice, "bob")
    replies = await roost.timelines.replies(alice, post.id, None, 10)
    assert await ids_of(replies.items) == [by_alice.id, by_bob.id]
    assert len((await roost.timelines.mentions(alice, None, 10)).items) == 2


async def test_replies_page_exactly_across_hidden_ones(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    post = await roost.publishing.publish(carol, "a thread")
    replies = [
        await roost.publishing.publish(bob if n % 2 else carol, f"reply {n}", in_reply_to=post.id)
        for n in range(9)
    ]
    await roost.blocks.block(bob, "alice")
    seen: list[int] = []
    cursor = None
    while True:
        page = await roost.timelines.replies(alice, post.id, cursor, 2)
        assert len(page.items) == 2 or page.next_cursor is None
        seen += await ids_of(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [r.id for r in reversed(replies) if r.author.id == carol.id]


async def test_no_notifications_from_the_blocked_and_none_shown_from_the_muted(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    post = await roost.publishing.publish(alice, "hello")
    await roost.interactions.like(bob, post.id)
    await roost.interactions.like(carol, post.id)
    await fanout.drain()
    assert await roost.notifications.unread_count(alice) == 2

    await roost.blocks.block(alice, "bob")
    await roost.blocks.mute(alice, "carol")
    assert await notified(roost, alice) == []
    assert await notified(roost, alice, grouped=True) == []
    assert await roost.notifications.unread_count(alice) == 0
    await roost.publishing.publish(bob, "@alice hey", in_reply_to=post.id)
    await roost.interactions.repost(bob, post.id)
    await roost.publishing.publish(carol, "@alice hey")
    mine = await roost.publishing.publish(bob, "bob's own")
    await roost.interactions.like(alice, mine.id)  # the blocker acts: bob is not told either
    await fanout.drain()
    assert await notified(roost, alice) == []
    assert await notified(roost, bob) == []

    await roost.blocks.unmute(alice, "carol")
    assert await notified(roost, alice) == [("mention", "carol"), ("like", "carol")]
    await roost.blocks.unblock(alice, "bob")
    assert await notified(roost, alice) == [
        ("mention", "carol"),
        ("like", "carol"),
        ("like", "bob"),
    ]
    assert await roost.notifications.unread_count(alice) == 3


async def test_the_muted_still_sees_the_muter_and_is_notified(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(bob, "alice")
    await fanout.drain()
    await roost.blocks.mute(alice, "bob")
    post = await roost.publishing.publish(alice, "hello")
    await fanout.drain()
    assert await feed_ids(bob) == [post.id]
    await roost.interactions.like(alice, (await roost.publishing.publish(bob, "hi")).id)
    await fanout.drain()
    assert await notified(roost, bob) == [("like", "alice")]
