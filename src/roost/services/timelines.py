"""Lists of tweets other than the home feed: an author's tweets, a tweet's replies, a user's
mentions. Newest first, read from SQL, shown with the reader's engagement, each tweet served
counted as an impression.

Blocks hide both ways here (mutes only touch the home feed and notifications): a post by, or
a repost of a post by, an account blocked either way is left out, and the page refilled; the
tweets of a user who blocked the reader, or whom the reader blocked, are an empty list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from roost.domain.cursors import decode_cursor
from roost.domain.tweets import Tweet
from roost.domain.users import User
from roost.ports import UnitOfWork, UnitOfWorkFactory
from roost.services.analytics import Usage
from roost.services.engagement import Engagement
from roost.services.hiding import HiddenAccounts
from roost.services.pages import Page, check_limit, next_cursor
from roost.services.publishing import original_of
from roost.services.views import render_tweet

# Tweets below an id, at most a number of them, newest first.
_Read = Callable[[UnitOfWork, int, int], Awaitable[list[Tweet]]]


class Timelines:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        engagement: Engagement,
        usage: Usage,
        hidden: HiddenAccounts,
    ) -> None:
        self._uow = uow
        self._engagement = engagement
        self._usage = usage
        self._hidden = hidden

    async def by_author(
        self, reader: User, author: User, cursor: str | None, limit: int
    ) -> Page[bytes]:
        check_limit(limit)
        before = decode_cursor(cursor)
        blocked = (await self._hidden.of(reader.id)).blocked
        if author.id in blocked:
            return Page(items=[], next_cursor=None, positions=[])
        found, more = await self._visible(
            lambda uow, below, count: uow.tweets.by_author(author.id, below, count),
            blocked,
            before,
            limit,
        )
        return await self._page(reader, found, more)

    async def replies(
        self, reader: User, tweet_id: int, cursor: str | None, limit: int
    ) -> Page[bytes]:
        check_limit(limit)
        before = decode_cursor(cursor)
        async with self._uow(read_only=True) as uow:
            original = await original_of(uow, tweet_id)
        found, more = await self._visible(
            lambda uow, below, count: uow.tweets.replies(original.id, below, count),
            (await self._hidden.of(reader.id)).blocked,
            before,
            limit,
        )
        return await self._page(reader, found, more)

    async def mentions(self, reader: User, cursor: str | None, limit: int) -> Page[bytes]:
        check_limit(limit)
        found, more = await self._visible(
            lambda uow, below, count: uow.tweets.mentioning(reader.id, below, count),
            (await self._hidden.of(reader.id)).blocked,
            decode_cursor(cursor),
            limit,
        )
        return await self._page(reader, found, more)

    async def _visible(
        self, read: _Read, blocked: frozenset[int], before: int, limit: int
    ) -> tuple[list[Tweet], int | None]:
        """Up to ``limit`` tweets not hidden by a block, and where the next page starts (None
        at the end): after the last tweet looked at, shown or not, so paging stays exact."""
        shown: list[Tweet] = []
        async with self._uow(read_only=True) as uow:
            while True:
                wanted = limit - len(shown)
                found = await read(uow, before, wanted + 1)
                looked_at = found[:wanted]
                shown += [tweet for tweet in looked_at if not _by_blocked(tweet, blocked)]
                if looked_at:
                    before = looked_at[-1].id
                if len(found) <= wanted:
                    return shown, None
                if len(shown) == limit:
                    return shown, before

    async def _page(self, reader: User, page: list[Tweet], more: int | None) -> Page[bytes]:
        self._usage.served([tweet.id for tweet in page])  # impressions
        shown = await self._engagement.present(
            reader.id,
            {tweet.id: render_tweet(tweet) for tweet in page},
            origins={tweet.id: tweet.origin_id for tweet in page},
        )
        return Page(
            items=[shown[tweet.id] for tweet in page],
            next_cursor=next_cursor(more, more is not None),
            positions=[(tweet.id, None) for tweet in page],
        )


def _by_blocked(tweet: Tweet, blocked: frozenset[int]) -> bool:
    if not blocked:
        return False
    original = tweet.repost_of
    return tweet.author.id in blocked or (original is not None and original.author.id in blocked)
