"""Likes, reposts, replies and mentions, through the services, in every mode."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest
from sqlalchemy import distinct, func, select

from roost.adapters.local.engagement import LruEngagementCache
from roost.adapters.redis.engagement import RedisEngagementCache
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import events, tweets
from roost.bootstrap import Roost, build
from roost.domain.errors import NotFound, RateLimited
from roost.domain.users import User
from roost.ports import StoreUnavailable
from roost.settings import Settings
from tests.integration.support import Consumers

MakeUser = Callable[[str], Awaitable[User]]


async def feed(roost: Roost, reader: User) -> list[dict[str, Any]]:
    page = await roost.home_feed.page(reader, None, 100)
    return [msgspec.json.decode(item) for item in page.items]


async def tweet(roost: Roost, reader: User, tweet_id: int) -> dict[str, Any]:
    found: dict[str, Any] = msgspec.json.decode(await roost.publishing.get(reader, tweet_id))
    return found


def entries(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(id, id of the original it shows or None) of each item."""
    return [(item["id"], (item["repost_of"] or {}).get("id")) for item in items]


def engagement(item: dict[str, Any]) -> tuple[int, int, int, bool, bool]:
    return (
        item["like_count"],
        item["reply_count"],
        item["repost_count"],
        item["liked"],
        item["reposted"],
    )


async def test_likes_are_counted_once_and_shown_to_the_liker(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    await roost.follows.follow(alice, "bob")
    post = await roost.publishing.publish(bob, "like me")
    await fanout.drain()
    assert engagement((await feed(roost, alice))[0]) == (0, 0, 0, False, False)

    await roost.interactions.like(alice, post.id)
    assert engagement((await feed(roost, alice))[0])[3] is True  # at once, for the liker
    await roost.interactions.like(alice, post.id)  # idempotent
    await roost.interactions.like(carol, post.id)
    await fanout.drain()  # the counts follow from the events
    assert engagement((await feed(roost, alice))[0]) == (2, 0, 0, True, False)
    assert engagement(await tweet(roost, bob, post.id)) == (2, 0, 0, False, False)

    await roost.interactions.unlike(alice, post.id)
    await roost.interactions.unlike(alice, post.id)
    await fanout.drain()
    assert engagement((await feed(roost, alice))[0]) == (1, 0, 0, False, False)
    assert engagement(await tweet(roost, carol, post.id)) == (1, 0, 0, True, False)


async def test_a_reader_s_flags_are_found_again_from_sql_and_kept_small(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    """Once its flags are lost (expired, evicted), a reader's likes and reposts are read back
    from SQL; in Redis as the few posts acted on and a mark, not a field per post shown."""
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(alice, "bob")
    posts = [await roost.publishing.publish(bob, f"post {i}") for i in range(5)]
    await fanout.drain()
    await roost.interactions.like(alice, posts[1].id)
    await roost.interactions.repost(alice, posts[3].id)
    await fanout.drain()
    flags_key = f"{roost.settings.redis_prefix}{{u{alice.id}}}:flags"
    if roost.redis is not None:
        await roost.redis.delete(flags_key)

    shown = {item["id"]: item for item in await feed(roost, alice) if not item["repost_of"]}
    acted = {str(posts[1].id): (True, False), str(posts[3].id): (False, True)}
    for post in posts:
        expected = acted.get(str(post.id), (False, False))
        assert engagement(shown[str(post.id)])[3:] == expected
    newer = await roost.publishing.publish(bob, "after the fill")
    await fanout.drain()
    assert engagement((await feed(roost, alice))[0])[3:] == (False, False)
    await roost.interactions.like(alice, newer.id)
    assert engagement((await feed(roost, alice))[0])[3:] == (True, False)
    if roost.redis is not None:
        fields = set(await roost.redis.hkeys(flags_key))
        acted_on = (posts[1], posts[3], newer)
        assert fields == {b"since", *(str(p.id).zfill(19).encode() for p in acted_on)}


async def test_a_repost_enters_feeds_as_the_reposter_showing_the_original_once(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    dave = await make_user("dave")
    await roost.follows.follow(carol, "alice")
    await roost.follows.follow(carol, "bob")
    await roost.follows.follow(dave, "bob")
    post = await roost.publishing.publish(alice, "worth sharing")
    await fanout.drain()

    repost, created = await roost.interactions.repost(bob, post.id)
    again, created_again = await roost.interactions.repost(bob, repost.id)  # of the repost
    assert (created, created_again, again.id) == (True, False, repost.id)
    await fanout.drain()

    [shared] = await feed(roost, dave)
    assert shared["id"] == str(repost.id)
    assert shared["author"]["handle"] == "bob"
    assert shared["repost_of"]["id"] == str(post.id)
    assert shared["repost_of"]["author"]["handle"] == "alice"
    assert shared["repost_of"]["content"] == "worth sharing"
    assert engagement(shared) == engagement(shared["repost_of"]) == (0, 0, 1, False, False)
    # carol follows both: the original once, where it first arrived
    assert [item["id"] for item in await feed(roost, carol)] == [str(post.id)]
    assert engagement((await feed(roost, bob))[0]) == (0, 0, 1, False, True)

    await roost.interactions.unrepost(bob, post.id)
    await fanout.drain()
    assert await feed(roost, dave) == []
    assert engagement(await tweet(roost, carol, post.id))[2] == 0
    replay = Consumers(roost, suffix="-again")  # the whole log once more: counts stay right
    await replay.drain()
    assert engagement(await tweet(roost, carol, post.id)) == (0, 0, 0, False, False)


async def test_deleting_one_s_repost_undoes_it_at_once_for_the_reposter(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    post = await roost.publishing.publish(alice, "shared, then not")
    repost, _ = await roost.interactions.repost(bob, post.id)
    await fanout.drain()
    assert engagement((await feed(roost, bob))[0]) == (0, 0, 1, False, True)  # now cached
    await roost.publishing.delete(bob, repost.id)
    assert engagement(await tweet(roost, bob, post.id))[4] is False
    await fanout.drain()
    assert engagement(await tweet(roost, bob, post.id)) == (0, 0, 0, False, False)


async def test_deleting_a_post_takes_its_reposts_with_it(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, dave = await make_user("alice"), await make_user("bob"), await make_user("dave")
    await roost.follows.follow(dave, "bob")
    post = await roost.publishing.publish(alice, "soon gone")
    repost, _ = await roost.interactions.repost(bob, post.id)
    await fanout.drain()
    assert [item["id"] for item in await feed(roost, dave)] == [str(repost.id)]
    await roost.publishing.delete(alice, post.id)
    assert await feed(roost, dave) == []  # hidden at once
    await fanout.drain()
    assert await feed(roost, dave) == []
    with pytest.raises(NotFound):
        await roost.publishing.get(dave, repost.id)


async def test_replies_are_listed_and_counted(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    post = await roost.publishing.publish(alice, "a question")
    first = await roost.publishing.publish(bob, "an answer", in_reply_to=post.id)
    second = await roost.publishing.publish(alice, "thanks", in_reply_to=post.id)
    await fanout.drain()
    page = await roost.timelines.replies(bob, post.id, None, 1)
    assert [msgspec.json.decode(i)["id"] for i in page.items] == [str(second.id)]
    page = await roost.timelines.replies(bob, post.id, page.next_cursor, 1)
    assert [msgspec.json.decode(i)["in_reply_to"] for i in page.items] == [str(post.id)]
    assert page.next_cursor is None
    assert engagement(await tweet(roost, bob, post.id))[1] == 2

    await roost.publishing.delete(bob, first.id)
    await fanout.drain()
    assert engagement(await tweet(roost, bob, post.id))[1] == 1
    await roost.publishing.delete(alice, post.id)
    with pytest.raises(NotFound):
        await roost.publishing.publish(bob, "too late", in_reply_to=post.id)
    with pytest.raises(NotFound):
        await roost.timelines.replies(bob, post.id, None, 10)


async def test_mentions_of_existing_handles_are_recorded(roost: Roost, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await make_user("carol")
    mention = await roost.publishing.publish(alice, "hi @BOB and @nobody_here, mail a@bob.org")
    await roost.publishing.publish(alice, "@alice talks to herself")
    page = await roost.timelines.mentions(bob, None, 10)
    assert [msgspec.json.decode(i)["id"] for i in page.items] == [str(mention.id)]
    assert (await roost.timelines.mentions(alice, None, 10)).items == []


async def test_posts_published_together_are_stored_together_and_each_stands_alone(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    await roost.follows.follow(carol, "alice")
    original = await roost.publishing.publish(bob, "reply to me")
    repost, _ = await roost.interactions.repost(carol, original.id)
    gone = await roost.publishing.publish(bob, "soon deleted")
    await roost.publishing.delete(bob, gone.id)
    async with roost.engines.reader.connect() as conn:
        before = (await conn.execute(select(func.max(events.c.id)))).scalar_one()

    posts: list[Awaitable[Any]] = [
        roost.publishing.publish(alice, f"post {n} @bob") for n in range(20)
    ]
    posts += [
        roost.publishing.publish(carol, "a reply through the repost", in_reply_to=repost.id),
        roost.publishing.publish(carol, "a reply to a deleted post", in_reply_to=gone.id),
        roost.publishing.publish(alice, "@alice @carol @nobody_here"),
    ]
    *mentioning, reply, failed, last = await asyncio.gather(*posts, return_exceptions=True)

    assert isinstance(failed, NotFound)
    assert reply.in_reply_to == original.id
    replies = await roost.timelines.replies(bob, original.id, None, 10)
    assert [msgspec.json.decode(i)["id"] for i in replies.items] == [str(reply.id)]
    page = await roost.timelines.mentions(bob, None, 50)
    assert {msgspec.json.decode(i)["id"] for i in page.items} == {str(p.id) for p in mentioning}
    assert [
        msgspec.json.decode(i)["id"] for i in (await roost.timelines.mentions(carol, None, 5)).items
    ] == [str(last.id)]
    await fanout.drain()
    shown = {item["id"] for item in await feed(roost, carol)}
    assert {str(p.id) for p in [*mentioning, last]} <= shown
    async with roost.engines.reader.connect() as conn:
        created = select(func.count(), func.count(distinct(events.c.created_at))).where(
            events.c.type == "tweet.created", events.c.id > before
        )
        count, commits = (await conn.execute(created)).one()
    assert count == 22
    assert commits < count


async def test_posts_over_the_rate_are_refused_even_when_they_arrive_together(
    roost: Roost, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    limit = roost.settings.rate_limit_posts_per_minute
    posts = [roost.publishing.publish(alice, f"flood {n}") for n in range(limit + 100)]
    posts += [roost.publishing.publish(bob, f"calm {n}") for n in range(5)]
    started = time.monotonic()
    outcomes = await asyncio.gather(*posts, return_exceptions=True)
    refilled = math.ceil((time.monotonic() - started) * limit / 60)  # the bucket refills meanwhile

    refused = [o for o in outcomes[:-5] if isinstance(o, Exception)]
    assert all(isinstance(o, RateLimited) and o.retry_after_seconds >= 1 for o in refused)
    accepted = len(outcomes) - 5 - len(refused)
    assert limit <= accepted <= limit + refilled
    assert not any(isinstance(o, Exception) for o in outcomes[-5:])
    async with roost.engines.reader.connect() as conn:
        query = select(func.count()).where(tweets.c.author_id == alice.id)
        assert (await conn.execute(query)).scalar_one() == accepted


async def test_liking_is_rate_limited(roost: Roost, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    post = await roost.publishing.publish(alice, "like spam target")
    limit = roost.settings.rate_limit_actions_per_minute
    waits = []
    for _ in range(2 * limit):  # the bucket refills as the loop runs: allow for that
        try:
            await roost.interactions.like(alice, post.id)
        except RateLimited as error:
            waits.append(error.retry_after_seconds)
    assert waits
    assert min(waits) >= 1


async def test_unknown_tweets_cannot_be_liked_or_reposted(
    roost: Roost, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    with pytest.raises(NotFound):
        await roost.interactions.like(alice, 12345)
    with pytest.raises(NotFound):
        await roost.interactions.repost(alice, 12345)


async def test_a_celebrity_s_entries_are_merged_once_with_what_was_pushed(
    settings: Settings,
) -> None:
    await upgrade_async(settings.database_url)
    roost = build(settings.model_copy(update={"celebrity_threshold": 2}))
    roost.start()
    try:
        tag = uuid.uuid4().hex[:8]
        star, fan, reader, bob = [
            await roost.accounts.register(f"{name}_{tag}", "correct horse", None)
            for name in ("star", "fan", "reader", "bob")
        ]
        for follower in (fan, reader):
            await roost.follows.follow(follower, star.handle)
        await roost.follows.follow(reader, bob.handle)
        drain = Consumers(roost).drain
        await drain()
        assert (await roost.accounts.by_handle(star.handle)).pulled

        bobs = await roost.publishing.publish(bob, "pushed to the reader")
        stars = await roost.publishing.publish(star, "pulled by the reader")
        await drain()
        star_repost, _ = await roost.interactions.repost(star, bobs.id)  # pulled: merged away
        bob_repost, _ = await roost.interactions.repost(bob, stars.id)  # pushed: it wins
        await drain()

        shown = [
            (item["id"], (item["repost_of"] or {}).get("id")) for item in await feed(roost, reader)
        ]
        assert shown == [(str(bob_repost.id), str(stars.id)), (str(bobs.id), None)]
        shown = [
            (item["id"], (item["repost_of"] or {}).get("id")) for item in await feed(roost, fan)
        ]
        assert shown == [(str(star_repost.id), str(bobs.id)), (str(stars.id), None)]
    finally:
        await roost.close()


async def test_a_reader_s_likes_and_reposts_are_read_complete_within_a_limit(
    roost: Roost, fanout: Consumers, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    posts = [await roost.publishing.publish(bob, f"post {i}") for i in range(3)]
    for post in posts:
        await roost.interactions.like(alice, post.id)
    await roost.interactions.repost(alice, posts[2].id)
    async with roost.uow(read_only=True) as uow:
        found = await uow.tweets.flagged_since(alice.id, posts[1].id, 3)
        too_many = await uow.tweets.flagged_since(alice.id, posts[0].id, 2)
    assert found == {posts[1].id: (True, False), posts[2].id: (True, True)}
    assert too_many is None


async def test_flags_are_read_by_user_and_post(roost: Roost, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    posts = [await roost.publishing.publish(bob, f"post {i}") for i in range(2)]
    await roost.interactions.like(alice, posts[0].id)
    await roost.interactions.repost(bob, posts[1].id)
    pairs = [(alice.id, posts[0].id), (alice.id, posts[1].id), (bob.id, posts[1].id)]
    async with roost.uow(read_only=True) as uow:
        found = await uow.tweets.flags_of(pairs)
        assert await uow.tweets.flags_of([]) == {}
    assert found == {pairs[0]: (True, False), pairs[1]: (False, False), pairs[2]: (False, True)}


async def test_an_action_whose_flag_was_not_cached_is_cached_by_the_counting_consumer(
    roost: Roost, fanout: Consumers, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The liker's own write to the cache fails (Redis away for a moment): the reader's flags,
    complete from a fill, would say the post is not liked until they expire. The counting
    consumer reads the flags again from SQL once the action's event reaches it."""
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(alice, "bob")
    post = await roost.publishing.publish(bob, "like me")
    await fanout.drain()
    assert engagement((await feed(roost, alice))[0])[3:] == (False, False)  # flags filled

    async def unavailable(*_: object) -> None:
        raise StoreUnavailable("injected")

    actions = [
        (lambda: roost.interactions.like(alice, post.id), (True, False)),
        (lambda: roost.interactions.unlike(alice, post.id), (False, False)),
        (lambda: roost.interactions.repost(alice, post.id), (False, True)),
    ]
    for act, expected in actions:
        before = engagement((await feed(roost, alice))[-1])[3:]
        for adapter in (LruEngagementCache, RedisEngagementCache):
            monkeypatch.setattr(adapter, "set_liked", unavailable)
            monkeypatch.setattr(adapter, "set_reposted", unavailable)
        await act()
        assert engagement((await feed(roost, alice))[-1])[3:] == before  # the write failed
        monkeypatch.undo()
        await fanout.drain()
        assert engagement((await feed(roost, alice))[-1])[3:] == expected
