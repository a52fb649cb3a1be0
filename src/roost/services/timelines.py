"""Lists of tweets other than the home feed: an author's tweets, a tweet's replies, a user's
mentions. Newest first, read from SQL, shown with the reader's engagement, each tweet served
counted as an impression."""

from __future__ import annotations

from roost.domain.cursors import decode_cursor
from roost.domain.tweets import Tweet
from roost.domain.users import User
from roost.ports import UnitOfWorkFactory
from roost.services.analytics import Usage
from roost.services.engagement import Engagement
from roost.services.pages import Page, check_limit, next_cursor
from roost.services.publishing import original_of
from roost.services.views import render_tweet


class Timelines:
    def __init__(self, uow: UnitOfWorkFactory, engagement: Engagement, usage: Usage) -> None:
        self._uow = uow
        self._engagement = engagement
        self._usage = usage

    async def by_author(
        self, reader: User, author: User, cursor: str | None, limit: int
    ) -> Page[bytes]:
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            found = await uow.tweets.by_author(author.id, decode_cursor(cursor), limit + 1)
        return await self._page(reader, found, limit)

    async def replies(
        self, reader: User, tweet_id: int, cursor: str | None, limit: int
    ) -> Page[bytes]:
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            original = await original_of(uow, tweet_id)
            found = await uow.tweets.replies(original.id, decode_cursor(cursor), limit + 1)
        return await self._page(reader, found, limit)

    async def mentions(self, reader: User, cursor: str | None, limit: int) -> Page[bytes]:
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            found = await uow.tweets.mentioning(reader.id, decode_cursor(cursor), limit + 1)
        return await self._page(reader, found, limit)

    async def _page(self, reader: User, found: list[Tweet], limit: int) -> Page[bytes]:
        page = found[:limit]
        self._usage.served([tweet.id for tweet in page])  # impressions
        shown = await self._engagement.present(
            reader.id,
            {tweet.id: render_tweet(tweet) for tweet in page},
            origins={tweet.id: tweet.origin_id for tweet in page},
        )
        return Page(
            items=[shown[tweet.id] for tweet in page],
            next_cursor=next_cursor(page[-1].id if page else None, len(found) > limit),
            positions=[(tweet.id, None) for tweet in page],
        )
