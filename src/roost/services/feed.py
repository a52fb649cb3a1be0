"""Reading a home feed: a page of ids from the feed store, hydrated from the tweet cache."""

from __future__ import annotations

from roost.domain.cursors import decode_cursor
from roost.domain.users import User
from roost.ports import HomeFeeds
from roost.services.hydration import TweetHydrator
from roost.services.pages import Page, check_limit, next_cursor


class HomeFeed:
    def __init__(self, feeds: HomeFeeds, hydrator: TweetHydrator) -> None:
        self._feeds = feeds
        self._hydrator = hydrator

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
            ids = await self._feeds.page(reader.id, before, wanted + 1)
            has_more = len(ids) > wanted
            ids = ids[:wanted]
            rendered = await self._hydrator.rendered(ids)
            items.extend(rendered[tweet_id] for tweet_id in ids if tweet_id in rendered)
            if ids:
                last_seen = before = ids[-1]
        return Page(items=items, next_cursor=next_cursor(last_seen, has_more))
