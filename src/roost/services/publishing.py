"""Publishing: post, read and delete tweets. Fanout happens after, from the events."""

from __future__ import annotations

import logging

from roost.domain import events
from roost.domain.cursors import decode_cursor
from roost.domain.errors import Forbidden, NotFound, RateLimited
from roost.domain.ids import IdGenerator
from roost.domain.tweets import Author, Tweet, normalise_content
from roost.domain.users import User
from roost.ports import Clock, HomeFeeds, RateLimiter, StoreUnavailable, UnitOfWorkFactory
from roost.services.analytics import Usage
from roost.services.hydration import TweetHydrator
from roost.services.pages import Page, check_limit, next_cursor
from roost.services.views import render_tweet

log = logging.getLogger(__name__)


class Publishing:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        feeds: HomeFeeds,
        hydrator: TweetHydrator,
        rate_limiter: RateLimiter,
        ids: IdGenerator,
        clock: Clock,
        usage: Usage,
        *,
        max_chars: int,
        posts_per_minute: int,
    ) -> None:
        self._uow = uow
        self._feeds = feeds
        self._hydrator = hydrator
        self._rate_limiter = rate_limiter
        self._ids = ids
        self._clock = clock
        self._usage = usage
        self._max_chars = max_chars
        self._posts_per_minute = posts_per_minute

    async def publish(self, author: User, content: str, in_reply_to: int | None = None) -> Tweet:
        """Store the tweet with its ``tweet.created`` event; the author sees it at once."""
        text = normalise_content(content, self._max_chars)
        await self._limit_rate(author)
        tweet = Tweet(
            id=self._ids.next_id(),
            author=Author(author.id, author.handle, author.display_name),
            content=text,
            created_at=self._clock.now(),
            in_reply_to=in_reply_to,
        )
        async with self._uow() as uow:
            if in_reply_to is not None and await uow.tweets.get(in_reply_to) is None:
                raise NotFound("The tweet you reply to does not exist.")
            await uow.tweets.add(tweet)
            uow.outbox.add(events.tweet_created(tweet.id, author.id))
            await uow.commit()
        await self._show_to_author(tweet)
        return tweet

    async def get(self, tweet_id: int) -> bytes:
        rendered = await self._hydrator.rendered([tweet_id])
        if tweet_id not in rendered:
            raise NotFound("No such tweet.")
        return rendered[tweet_id]

    async def delete(self, caller: User, tweet_id: int) -> None:
        """Hidden everywhere at once; the ``tweet.deleted`` event then clears it from feeds."""
        async with self._uow() as uow:
            tweet = await uow.tweets.get(tweet_id)
            if tweet is None:
                raise NotFound("No such tweet.")
            if tweet.author.id != caller.id:
                raise Forbidden("Only its author may delete a tweet.")
            await uow.tweets.mark_deleted(tweet_id, self._clock.now())
            uow.outbox.add(events.tweet_deleted(tweet_id, caller.id))
            await uow.commit()
        await self._hydrator.forget(tweet_id)

    async def by_author(self, author: User, cursor: str | None, limit: int) -> Page[bytes]:
        """An author's own tweets, newest first."""
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            found = await uow.tweets.by_author(author.id, decode_cursor(cursor), limit + 1)
        page = found[:limit]
        self._usage.served([tweet.id for tweet in page])
        return Page(
            items=[render_tweet(tweet) for tweet in page],
            next_cursor=next_cursor(page[-1].id if page else None, len(found) > limit),
            positions=[(tweet.id, None) for tweet in page],
        )

    async def _show_to_author(self, tweet: Tweet) -> None:
        """The author sees the post at once. Fanout repeats it, so a failure here loses nothing."""
        try:
            await self._feeds.push(tweet.id, [tweet.author.id])
        except StoreUnavailable:
            log.warning("feed store unavailable; tweet %s reaches feeds through fanout", tweet.id)

    async def _limit_rate(self, author: User) -> None:
        retry_after = await self._rate_limiter.hit(f"post:{author.id}", self._posts_per_minute, 60)
        if retry_after:
            raise RateLimited("You are posting too fast; wait a little.", retry_after)
