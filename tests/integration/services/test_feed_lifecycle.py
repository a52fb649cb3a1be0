"""Home feeds follow posts, follows, unfollows and deletes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
import pytest

from roost.bootstrap import Roost
from roost.domain.errors import Forbidden, InvalidCursor, InvalidInput, NotFound
from roost.domain.users import User
from tests.integration.support import Consumers, stored_ids

MakeUser = Callable[[str], Awaitable[User]]
FeedIds = Callable[[User], Awaitable[list[int]]]


async def test_a_post_reaches_the_author_at_once_and_followers_after_fanout(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    await roost.follows.follow(alice, "bob")
    await roost.follows.follow(carol, "BOB")
    await fanout.drain()
    tweet = await roost.publishing.publish(bob, "hello")

    assert await feed_ids(bob) == [tweet.id]
    assert await feed_ids(alice) == []
    await fanout.drain()
    assert await feed_ids(alice) == [tweet.id]
    assert await feed_ids(carol) == [tweet.id]


async def test_replaying_the_whole_log_changes_nothing(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(alice, "bob")
    kept = await roost.publishing.publish(bob, "kept")
    gone = await roost.publishing.publish(bob, "gone")
    await roost.publishing.delete(bob, gone.id)
    await fanout.drain()
    before = await feed_ids(alice)

    assert await Consumers(roost, suffix="-replay").drain() >= 5
    assert await feed_ids(alice) == before == [kept.id]


async def test_follow_backfills_and_unfollow_removes(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    posts = [await roost.publishing.publish(bob, f"post {n}") for n in range(3)]
    own = await roost.publishing.publish(alice, "mine")
    await roost.follows.follow(alice, "bob")
    await fanout.drain()
    assert await feed_ids(alice) == [own.id] + [p.id for p in reversed(posts)]

    await roost.follows.unfollow(alice, "bob")
    await fanout.drain()
    assert await feed_ids(alice) == [own.id]
    assert (await roost.accounts.by_handle("bob")).followers_count == 0


async def test_follow_then_unfollow_before_fanout_leaves_nothing(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.publishing.publish(bob, "early")
    await roost.follows.follow(alice, "bob")
    await roost.follows.unfollow(alice, "bob")
    await fanout.drain()
    assert await feed_ids(alice) == []


async def test_deleting_hides_at_once_and_fanout_clears_the_entries(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(alice, "bob")
    tweet = await roost.publishing.publish(bob, "oops")
    await fanout.drain()
    assert await feed_ids(alice) == [tweet.id]

    with pytest.raises(Forbidden):
        await roost.publishing.delete(alice, tweet.id)
    await roost.publishing.delete(bob, tweet.id)
    assert await feed_ids(alice) == []  # before fanout ran: hidden on read
    with pytest.raises(NotFound):
        await roost.publishing.get(bob, tweet.id)
    await fanout.drain()
    assert await stored_ids(roost, alice.id, 10) == []
    assert await stored_ids(roost, bob.id, 10) == []


async def test_feeds_keep_only_the_newest_entries(
    roost: Roost, fanout: Consumers, make_user: MakeUser, feed_ids: FeedIds
) -> None:
    cap = roost.settings.feed_max_items
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(alice, "bob")
    posts = [await roost.publishing.publish(bob, f"n{n}") for n in range(cap + 7)]
    await fanout.drain()
    newest = [p.id for p in reversed(posts)][:cap]
    assert await stored_ids(roost, alice.id, cap + 10) == newest
    assert await stored_ids(roost, bob.id, cap + 10) == newest


async def test_paging_serves_each_entry_once_while_posts_arrive(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(alice, "bob")
    posts = [await roost.publishing.publish(bob, f"n{n}") for n in range(23)]
    await fanout.drain()
    await roost.publishing.delete(bob, posts[10].id)  # a hole mid-feed, not yet fanned out

    seen: list[int] = []
    cursor: str | None = None
    while True:
        page = await roost.home_feed.page(alice, cursor, 5)
        seen += [int(msgspec.json.decode(item)["id"]) for item in page.items]
        await roost.publishing.publish(bob, "meanwhile")
        await fanout.drain()
        if page.next_cursor is None:
            break
        assert len(page.items) == 5
        cursor = page.next_cursor
    assert seen == [p.id for p in reversed(posts) if p.id != posts[10].id]


async def test_cursors_and_limits_are_checked(roost: Roost, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    with pytest.raises(InvalidCursor):
        await roost.home_feed.page(alice, "not-a-cursor", 10)
    with pytest.raises(InvalidInput):
        await roost.home_feed.page(alice, None, 101)
