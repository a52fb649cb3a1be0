"""Reading a home feed: a page of ids from the feed store, hydrated from the tweet cache.

In steady state a page is one feed-store round trip that also returns the cached tweets
(scaled mode: one Redis script call, no SQL). A feed missing from the store is rebuilt by pull
from SQL; when the store is down the page is served by pull from SQL: slower, still correct.
"""

from __future__ import annotations

import logging

from roost.domain.cursors import decode_cursor
from roost.domain.users import User
from roost.ports import FeedSlice, HomeFeeds, StoreUnavailable, UnitOfWorkFactory
from roost.services.hydration import TweetHydrator
from roost.services.pages import Page, check_limit, next_cursor

log = logging.getLogger(__name__)


class HomeFeed:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        feeds: HomeFeeds,
        hydrator: TweetHydrator,
        *,
        feed_max_items: int,
    ) -> None:
        self._uow = uow
        self._feeds = feeds
        self._hydrator = hydrator
        self._feed_max_items = feed_max_items

    async def page(self, reader: User, cursor: str | None, limit: int) -> Page[bytes]:
        """Newest first. Entries whose tweet was deleted are skipped and the page refilled, so a
        page is short only at the end of the feed; the cursor is the last id looked at."""
        check_limit(limit)
        before = decode_cursor(cursor)
        items: list[bytes] = []
        last_seen: int | None = None
        has_more = True
        while has_more and len(items) < limit:
            wanted = limit - len(items)
            found = await self._slice(reader, before, wanted + 1)
            has_more = len(found.tweet_ids) > wanted
            ids = found.tweet_ids[:wanted]
            items.extend(await self._render(found, ids))
            if ids:
                last_seen = before = ids[-1]
        return Page(items=items, next_cursor=next_cursor(last_seen, has_more))

    async def _slice(self, reader: User, before: int, count: int) -> FeedSlice:
        try:
            found = await self._feeds.page(reader.id, before, count)
            if found is not None:
                return found
            pulled = await self._pull(reader)
            await self._feeds.materialise(reader.id, pulled)
        except StoreUnavailable:
            log.warning("feed store unavailable; serving the feed of %s by pull", reader.id)
            pulled = await self._pull(reader)
        return FeedSlice([tweet_id for tweet_id in pulled if tweet_id < before][:count])

    async def _pull(self, reader: User) -> list[int]:
        async with self._uow(read_only=True) as uow:
            return await uow.tweets.home_timeline_ids(reader.id, self._feed_max_items)

    async def _render(self, found: FeedSlice, ids: list[int]) -> list[bytes]:
        missing = [i for i in ids if i not in found.rendered and i not in found.deleted]
        loaded = await self._hydrator.rendered(missing) if missing else {}
        rendered = found.rendered | loaded
        return [rendered[tweet_id] for tweet_id in ids if tweet_id in rendered]
