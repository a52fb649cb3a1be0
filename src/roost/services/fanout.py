"""Fanout: keeps home feeds in step with the events of the log, by the hybrid policy.

Posts of regular authors are pushed to their active followers; inactive followers' feeds are
dropped (rebuilt by pull when they next read); posts of celebrities are pushed to nobody and
pulled by their followers' reads; followers who muted the author get nothing
(domain/fanout_policy.py decides). A block or mute takes the hidden author's posts out of the
feed of the one who no longer sees them (reads filter them out meanwhile). Each handler is
idempotent and checks current state before acting, so a redelivered or late event (a follow
event handled after the unfollow) changes nothing twice and nothing wrongly. Consecutive new
posts in a batch of events are delivered together, in a few round trips for the lot
(``handle_batch``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime

from roost.domain import events
from roost.domain.events import Event
from roost.domain.fanout_policy import Delivery, FanoutPolicy
from roost.domain.tweets import FeedEntry, Tweet, original
from roost.domain.users import User
from roost.ports import Clock, FeedMetrics, HomeFeeds, UnitOfWork, UnitOfWorkFactory
from roost.services.hydration import TweetHydrator
from roost.services.live import LiveUpdates

Follower = tuple[int, datetime | None]


class Fanout:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        feeds: HomeFeeds,
        hydrator: TweetHydrator,
        policy: FanoutPolicy,
        metrics: FeedMetrics,
        clock: Clock,
        live: LiveUpdates,
        *,
        feed_max_items: int,
        batch_size: int,
    ) -> None:
        self._uow = uow
        self._feeds = feeds
        self._hydrator = hydrator
        self._live = live
        self._policy = policy
        self._metrics = metrics
        self._clock = clock
        self._feed_max_items = feed_max_items
        self._batch_size = batch_size

    async def handle(self, event: Event) -> None:
        handler = {
            events.TWEET_CREATED: self._deliver_tweet,
            events.TWEET_DELETED: self._withdraw_tweet,
            events.FOLLOW_CREATED: self._add_followee,
            events.FOLLOW_DELETED: self._remove_followee,
            events.USER_CREATED: self._create_feed,
            events.BLOCK_CREATED: self._withdraw_blocked,
            events.MUTE_CREATED: self._withdraw_muted,
            events.MUTE_DELETED: self._restore_unmuted,
        }.get(event.type)
        if handler is not None:
            await handler(event.payload)

    async def reconcile_all(self) -> int:
        """Switch every author whose pulled flag disagrees with the celebrity threshold (after
        the threshold changed); returns how many were switched."""
        async with self._uow(read_only=True) as uow:
            authors = await uow.users.misclassified(self._policy.celebrity_threshold)
        for author_id in authors:
            await self._reconcile(author_id)
        return len(authors)

    async def handle_batch(self, batch: Sequence[Event]) -> None:
        """Events in their order: each run of consecutive new posts is delivered together (a
        burst of posts costs a few round trips, not several per post), every other event
        alone, as ``handle`` does. A post delivered again changes nothing."""
        run: list[dict[str, str]] = []
        for event in batch:
            if event.type == events.TWEET_CREATED:
                run.append(event.payload)
                continue
            await self._deliver_posts(run)
            run = []
            await self.handle(event)
        await self._deliver_posts(run)

    async def _deliver_tweet(self, payload: dict[str, str]) -> None:
        await self._deliver_posts([payload])

    async def _deliver_posts(self, payloads: Sequence[dict[str, str]]) -> None:
        """New posts, in the order of their events: each into its author's recent posts and
        own feed, and pushed to the author's active followers unless the author is pulled.

        Budget: 1,000 posts/s from one worker with lag p99 under 1 s. A round trip per step
        and post (about 8 a post) allowed a few hundred posts/s; a run of posts costs one
        read and a few writes instead (see `bench/fanout_batches.py`).
        """
        posts, followers, muters = await self._load_posts(payloads)
        if not posts:  # deleted since
            return
        now = self._clock.now()
        audiences = {
            a: self._by_delivery(batch, now, muters.get(a, set())) for a, batch in followers.items()
        }
        inactive = sorted({f for _, skip in audiences.values() for f in skip})
        if inactive:
            await self._feeds.drop(inactive)
        await self._feeds.add_author_posts([(author.id, tweet.entry) for tweet, author in posts])
        await self._push_in_order(posts, audiences)
        await self._live.feed_entries([(tweet.id, author.id) for tweet, author in posts])

    async def _load_posts(
        self, payloads: Sequence[dict[str, str]]
    ) -> tuple[list[tuple[Tweet, User]], dict[int, list[Follower]], dict[int, set[int]]]:
        """The live posts with their authors, in order and once each, the followers of their
        authors with few of them, and who muted those authors: one unit of work."""
        wanted = {int(p["tweet_id"]): int(p["author_id"]) for p in payloads}  # ordered, once
        if not wanted:
            return [], {}, {}
        async with self._uow(read_only=True) as uow:
            found = await uow.tweets.many(list(wanted))
            authors = await uow.users.many(sorted({wanted[t] for t in found}))
            followers = await self._followers_at_once(uow, authors.values())
            muters = _by_target(await uow.mutes.hiders(sorted(followers)))
        posts = [(found[t], authors[a]) for t, a in wanted.items() if t in found and a in authors]
        return posts, followers, muters

    async def _push_in_order(
        self,
        posts: list[tuple[Tweet, User]],
        audiences: dict[int, tuple[list[int], list[int]]],
    ) -> None:
        """Each post to its author's feed and its active followers, up to ``batch_size`` feeds
        a write. The followers of an author with many are paged at the post's place, so every
        feed gets its entries in the order one post at a time gives (which entry of an origin
        a feed keeps depends on it). A post's lag is recorded once its last write is done."""
        pushes: list[tuple[FeedEntry, list[int]]] = []
        written_next: list[Tweet] = []
        feeds = 0
        for tweet, author in posts:
            push, skip = audiences.get(author.id, ([], []))
            pushes.append((tweet.entry, [author.id, *push]))
            written_next.append(tweet)
            feeds += 1 + len(push)
            if author.pulled:
                self._metrics.skipped("celebrity", author.followers_count)
            elif skip:
                self._metrics.skipped("inactive", len(skip))
            paged = not author.pulled and author.id not in audiences
            if paged or feeds >= self._batch_size:
                self._metrics.pushed(await self._feeds.push_many(pushes))
                if paged:
                    await self._push_to_followers(tweet.entry, author.id)
                self._record_lags(written_next)
                pushes, written_next, feeds = [], [], 0
        if pushes:
            self._metrics.pushed(await self._feeds.push_many(pushes))
        self._record_lags(written_next)

    async def _followers_at_once(
        self, uow: UnitOfWork, authors: Iterable[User]
    ) -> dict[int, list[Follower]]:
        """The followers of the pushed authors with fewer than ``batch_size`` of them, by
        author, read together: about ``batch_size`` rows a query. An author left out has more
        (or gained some since their count was read): their followers are paged."""
        few = sorted(
            (a for a in authors if not a.pulled and a.followers_count < self._batch_size),
            key=lambda author: author.id,
        )
        found: dict[int, list[Follower]] = {}
        for group in self._groups_of_followers(few):
            ids = [author.id for author in group]
            rows = await uow.follows.followers_of_many(ids, self._batch_size + 1)
            if len(rows) > self._batch_size:  # cut short: the last author's may be incomplete
                ids = [author_id for author_id in ids if author_id < rows[-1][0]]
            read: dict[int, list[Follower]] = {author_id: [] for author_id in ids}
            for author_id, follower_id, last_seen_at in rows:
                if author_id in read:
                    read[author_id].append((follower_id, last_seen_at))
            found |= read
        return found

    def _groups_of_followers(self, authors: list[User]) -> Iterator[list[User]]:
        """Consecutive authors with at most ``batch_size`` followers in all (by their counts)."""
        group: list[User] = []
        size = 0
        for author in authors:
            if group and size + author.followers_count > self._batch_size:
                yield group
                group, size = [], 0
            group.append(author)
            size += author.followers_count
        if group:
            yield group

    def _by_delivery(
        self, batch: list[Follower], now: datetime, muters: set[int]
    ) -> tuple[list[int], list[int]]:
        """The followers to push to, and the inactive ones whose feeds are dropped."""
        push, skip = [], []
        for follower_id, last_seen_at in batch:
            delivery = self._policy.decide(
                False, last_seen_at, now, follower_hides_author=follower_id in muters
            )
            if delivery is Delivery.PUSH:
                push.append(follower_id)
            elif delivery is Delivery.SKIP:
                skip.append(follower_id)
        return push, skip

    def _record_lags(self, delivered: list[Tweet]) -> None:
        now = self._clock.now()
        for tweet in delivered:
            self._metrics.fanout_lag((now - tweet.created_at).total_seconds())

    async def _push_to_followers(self, entry: FeedEntry, author_id: int) -> None:
        now = self._clock.now()
        async with self._uow(read_only=True) as uow:
            muters = {user_id for user_id, _ in await uow.mutes.hiders([author_id])}
        async for batch in self._follower_batches(author_id):
            push, skip = self._by_delivery(batch, now, muters)
            self._metrics.pushed(await self._feeds.push(entry, push))
            if skip:
                await self._feeds.drop(skip)
                self._metrics.skipped("inactive", len(skip))

    async def _withdraw_tweet(self, payload: dict[str, str]) -> None:
        """Out of every feed it could be in: pushed or materialised, the author's list."""
        tweet_id, author_id = int(payload["tweet_id"]), int(payload["author_id"])
        await self._hydrator.forget(tweet_id)  # again: the request's attempt may have failed
        entry = await self._entry_of(tweet_id)
        await self._feeds.remove_author_post(author_id, entry)
        await self._feeds.remove(entry, [author_id])
        async for batch in self._follower_batches(author_id):
            await self._feeds.remove(entry, [follower_id for follower_id, _ in batch])

    async def _add_followee(self, payload: dict[str, str]) -> None:
        """Backfill the followee's recent posts, or start pulling them (a celebrity)."""
        follower_id, followee_id = int(payload["follower_id"]), int(payload["followee_id"])
        async with self._uow(read_only=True) as uow:
            following = await uow.follows.exists(follower_id, followee_id)
            followee = await uow.users.get(followee_id)
            recent = await uow.tweets.recent_entries_by_author(followee_id, self._feed_max_items)
        if following and followee is not None:
            if followee.pulled:
                await self._feeds.forget_pulled_authors([follower_id])
            else:
                await self._feeds.backfill(follower_id, recent)
        await self._reconcile(followee_id)

    async def _remove_followee(self, payload: dict[str, str]) -> None:
        """Remove the followee's tweets still in the feed: those no older than its oldest entry."""
        follower_id, followee_id = int(payload["follower_id"]), int(payload["followee_id"])
        oldest = await self._feeds.oldest(follower_id)
        async with self._uow(read_only=True) as uow:
            following = await uow.follows.exists(follower_id, followee_id)
            theirs = []
            if oldest is not None and not following:
                theirs = await uow.tweets.entries_by_author_since(
                    followee_id, oldest, self._feed_max_items
                )
        if not following:  # else followed again since
            await self._feeds.forget_pulled_authors([follower_id])
            await self._feeds.remove_from(follower_id, theirs)
        await self._reconcile(followee_id)

    async def _withdraw_blocked(self, payload: dict[str, str]) -> None:
        """Each one's posts out of the other's feed (their follows went with the block)."""
        user_id, target_id = int(payload["user_id"]), int(payload["target_id"])
        await self._withdraw_author(user_id, target_id)
        await self._withdraw_author(target_id, user_id)

    async def _withdraw_muted(self, payload: dict[str, str]) -> None:
        await self._withdraw_author(int(payload["user_id"]), int(payload["target_id"]))

    async def _withdraw_author(self, owner_id: int, author_id: int) -> None:
        """The author's posts still in the owner's feed (those no older than its oldest entry)
        out of it, while the owner still hides the author."""
        oldest = await self._feeds.oldest(owner_id)
        if oldest is None:
            return
        async with self._uow(read_only=True) as uow:
            hidden = await self._hides(uow, owner_id, author_id)
            theirs = await uow.tweets.entries_by_author_since(
                author_id, oldest, self._feed_max_items
            )
        if hidden:
            await self._feeds.remove_from(owner_id, theirs)

    async def _restore_unmuted(self, payload: dict[str, str]) -> None:
        """Backfill the unmuted author's recent posts, if still followed and pushed."""
        user_id, target_id = int(payload["user_id"]), int(payload["target_id"])
        async with self._uow(read_only=True) as uow:
            hidden = await self._hides(uow, user_id, target_id)
            following = await uow.follows.exists(user_id, target_id)
            author = await uow.users.get(target_id)
            recent = await uow.tweets.recent_entries_by_author(target_id, self._feed_max_items)
        if following and not hidden and author is not None and not author.pulled:
            await self._feeds.backfill(user_id, recent)

    @staticmethod
    async def _hides(uow: UnitOfWork, owner_id: int, author_id: int) -> bool:
        """Whether the owner no longer sees the author: a block either way, or a mute."""
        return bool(await uow.blocks.among([owner_id, author_id])) or await uow.mutes.exists(
            owner_id, author_id
        )

    async def _create_feed(self, payload: dict[str, str]) -> None:
        """A new user's feed exists from the start, so the first pushes land in it. It holds
        what the user posted before this event was handled: those posts found no feed to be
        shown in at once, and a read before their fanout would have missed them."""
        user_id = int(payload["user_id"])
        async with self._uow(read_only=True) as uow:
            entries = await uow.tweets.home_timeline_entries(user_id, self._feed_max_items)
        await self._feeds.materialise(user_id, entries)

    async def _reconcile(self, author_id: int) -> None:
        """Carry out a crossing of the celebrity threshold without losing or doubling entries.

        To pull: flag first (new posts stop being pushed), then make readers look up their
        pulled authors again. To push: backfill every follower while readers still pull, flag,
        make readers look again, then backfill once more for posts made during the switch.
        Duplicates cannot arise: reads merge pushed and pulled entries by id.
        """
        async with self._uow(read_only=True) as uow:
            author = await uow.users.get(author_id)
        if author is None or self._policy.is_celebrity(author.followers_count) == author.pulled:
            return
        if author.pulled:
            await self._backfill_followers(author_id)
        async with self._uow() as uow:
            await uow.users.set_pulled(author_id, not author.pulled)
            await uow.commit()
        async for batch in self._follower_batches(author_id):
            await self._feeds.forget_pulled_authors([follower_id for follower_id, _ in batch])
        if author.pulled:
            await self._backfill_followers(author_id)

    async def _backfill_followers(self, author_id: int) -> None:
        async with self._uow(read_only=True) as uow:
            recent = await uow.tweets.recent_entries_by_author(author_id, self._feed_max_items)
        async for batch in self._follower_batches(author_id):
            for follower_id, _ in batch:
                await self._feeds.backfill(follower_id, recent)

    async def _entry_of(self, tweet_id: int) -> FeedEntry:
        """A deleted tweet's entry: a repost's names its original, which the stores' indexes
        of originals need."""
        async with self._uow(read_only=True) as uow:
            entries = await uow.tweets.entries_by_id([tweet_id])
        return entries.get(tweet_id, original(tweet_id))

    async def _follower_batches(self, author_id: int) -> AsyncIterator[list[Follower]]:
        """The author's followers in batches. The next batch is read from SQL while the caller
        writes this one, so fanout runs at the pace of the slower store, not of both added."""
        upcoming = asyncio.ensure_future(self._followers_after(author_id, 0))
        try:
            while batch := await upcoming:
                upcoming = asyncio.ensure_future(self._followers_after(author_id, batch[-1][0]))
                yield batch
        finally:
            upcoming.cancel()

    async def _followers_after(self, author_id: int, after: int) -> list[Follower]:
        async with self._uow(read_only=True) as uow:
            return await uow.follows.followers_after(author_id, after, self._batch_size)


def _by_target(pairs: list[tuple[int, int]]) -> dict[int, set[int]]:
    """(user id, target id) pairs as the users of each target."""
    found: dict[int, set[int]] = {}
    for user_id, target_id in pairs:
        found.setdefault(target_id, set()).add(user_id)
    return found
