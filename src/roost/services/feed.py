"""Reading a home feed: pushed entries merged with the recent posts of pulled authors,
hydrated from the tweet cache.

In steady state a page is one feed-store round trip that also returns the cached tweets
(scaled mode: one Redis script call, no SQL). What the store lacks is rebuilt from SQL on the
spot: the feed itself (new, dropped while its owner was inactive, lost with Redis), the set of
authors it pulls, an author's recent posts. When the store is down the page is served by pull
from SQL: slower, the same answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import count
from operator import itemgetter
from typing import cast

from roost.domain.cursors import decode_feed_cursor, encode_cursor
from roost.domain.hiding import Hidden
from roost.domain.tweets import FeedEntry
from roost.domain.users import User
from roost.ports import (
    Clock,
    FeedMetrics,
    FeedSlice,
    HomeFeeds,
    StoreUnavailable,
    UnitOfWorkFactory,
)
from roost.services.analytics import Usage
from roost.services.engagement import Engagement
from roost.services.hiding import HiddenAccounts
from roost.services.hydration import TweetHydrator
from roost.services.pages import Page, check_limit
from roost.services.views import authors_in

log = logging.getLogger(__name__)
_tweet_id = itemgetter(0)  # of a FeedEntry, or of a page position

_REPAIRS = 4  # a page needs at most: the feed, the pulled authors, their posts


class HomeFeed:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        feeds: HomeFeeds,
        hydrator: TweetHydrator,
        engagement: Engagement,
        metrics: FeedMetrics,
        clock: Clock,
        usage: Usage,
        hidden: HiddenAccounts,
        *,
        feed_max_items: int,
    ) -> None:
        self._uow = uow
        self._hidden = hidden
        self._usage = usage
        self._feeds = feeds
        self._hydrator = hydrator
        self._engagement = engagement
        self._metrics = metrics
        self._clock = clock
        self._feed_max_items = feed_max_items

    async def page(self, reader: User, cursor: str | None, limit: int) -> Page[bytes]:
        """Newest first, the newest ROOST_FEED_MAX_ITEMS entries in all. Entries whose tweet was
        deleted, or whose author or original's author the reader does not see (a block, a
        mute), are skipped and the page refilled, so a page is short only at the end."""
        check_limit(limit)
        before, served = decode_feed_cursor(cursor)
        hidden = await self._hidden.of(reader.id)
        items: list[bytes] = []
        positions: list[tuple[int, int | None]] = []
        has_more = True
        while has_more and len(items) < limit:
            wanted = min(limit - len(items), self._feed_max_items - served)
            if wanted <= 0:
                has_more = False
                break
            found = await self._slice(reader, before, wanted + 1)
            has_more = len(found.entries) > wanted
            entries = found.entries[:wanted]
            tweet_ids = list(map(_tweet_id, entries))
            presented = await self._render(reader, found, entries, tweet_ids)
            if hidden.everyone:
                presented = _unhidden(presented, hidden)
            if None not in presented:  # nothing deleted, the usual case: gathered in C
                items += cast(Sequence[bytes], presented)
                positions += zip(tweet_ids, count(served + 1))
                served += len(entries)
            else:
                for tweet_id, body in zip(tweet_ids, presented, strict=True):
                    served += 1
                    if body is not None:
                        items.append(body)
                        positions.append((tweet_id, served))
            if entries:
                before = entries[-1].tweet_id
        has_more = has_more and served < self._feed_max_items
        self._usage.feed_read(list(map(_tweet_id, positions)))
        return Page(items, encode_cursor(before, served) if has_more else None, positions)

    async def _slice(self, reader: User, before: int, count: int) -> FeedSlice:
        try:
            for _ in range(_REPAIRS):
                found = await self._feeds.page(reader.id, before, count)
                if found is None:
                    await self._rebuild(reader.id)
                elif not found.pulled_authors_known:
                    await self._load_pulled_authors(reader)
                elif found.missing_author_posts:
                    await self._load_author_posts(found.missing_author_posts)
                else:
                    return found
            log.warning("feed of %s kept changing while repaired; serving it by pull", reader.id)
        except StoreUnavailable:
            log.warning("feed store unavailable; serving the feed of %s by pull", reader.id)
        pulled = await self._pull(reader.id)
        entries = _one_per_origin([e for e in pulled if e.tweet_id < before])[:count]
        # Its engagement from SQL: in scaled mode the engagement cache is in the store's Redis.
        return FeedSlice(entries, cache_read=True)

    async def rebuild(self, user_id: int) -> None:
        """Rebuild a feed from SQL now (`roost feeds rebuild`), whatever the store holds."""
        await self._feeds.drop([user_id])
        await self._materialise(user_id)
        await self._feeds.forget_pulled_authors([user_id])
        self._metrics.rebuilt()

    async def _rebuild(self, user_id: int) -> None:
        """Build a missing feed by pull; reading it makes its owner active again."""
        await self._materialise(user_id)
        async with self._uow() as uow:
            await uow.users.touch(user_id, self._clock.now())
            await uow.commit()
        self._metrics.rebuilt()

    async def _materialise(self, user_id: int) -> None:
        """Store what SQL says, twice. A post committed while the first read was under way had
        its push skipped (the feed was missing); it is committed before the second read starts,
        so the second read has it. Stores merge, so the second pass only adds."""
        for _ in range(2):
            await self._feeds.materialise(user_id, await self._pull(user_id))

    async def _pull(self, user_id: int) -> list[FeedEntry]:
        async with self._uow(read_only=True) as uow:
            return await uow.tweets.home_timeline_entries(user_id, self._feed_max_items)

    async def _load_pulled_authors(self, reader: User) -> None:
        """Twice, as _materialise: an author switched to pull while the first read was under
        way has its readers' sets forgotten before the second read starts."""
        for _ in range(2):
            async with self._uow(read_only=True) as uow:
                authors = await uow.follows.pulled_followees(reader.id)
            await self._feeds.set_pulled_authors(reader.id, authors)

    async def _load_author_posts(self, author_ids: list[int]) -> None:
        """Twice, as _materialise, for posts whose addition found the list missing."""
        for _ in range(2):
            async with self._uow(read_only=True) as uow:
                recent = {
                    author_id: await uow.tweets.recent_entries_by_author(
                        author_id, self._feed_max_items
                    )
                    for author_id in author_ids
                }
            for author_id, entries in recent.items():
                await self._feeds.set_author_posts(author_id, entries)

    async def _render(
        self, reader: User, found: FeedSlice, entries: list[FeedEntry], tweet_ids: list[int]
    ) -> Sequence[bytes | None]:
        """Each entry's tweet with the reader's engagement; None for a deleted one."""
        rendered = await self._hydrator.rendered(tweet_ids)
        return await self._engagement.present_entries(
            reader.id,
            entries,
            rendered,
            counts=found.counts[: len(entries)],
            flags=found.flags[: len(entries)],
            cache_read=found.cache_read,
        )


def _unhidden(presented: Sequence[bytes | None], hidden: Hidden) -> list[bytes | None]:
    """None in place of each entry the reader does not see."""
    return [None if body is None or hidden.hides(*authors_in(body)) else body for body in presented]


def _one_per_origin(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Newest first, keeping for each origin the entry a feed built from them would keep: the
    oldest (see HomeFeeds)."""
    first: dict[int, int] = {}
    for tweet_id, origin_id in entries:
        if first.get(origin_id, tweet_id) >= tweet_id:
            first[origin_id] = tweet_id
    return [entry for entry in entries if first[entry.origin_id] == entry.tweet_id]
