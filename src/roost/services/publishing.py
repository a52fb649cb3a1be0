"""Publishing: post, read and delete tweets (replies and mentions included). Fanout and
notifications happen after, from the events."""

from __future__ import annotations

import logging

from roost.domain import events
from roost.domain.errors import Forbidden, NotFound, RateLimited
from roost.domain.ids import IdGenerator
from roost.domain.mentions import mentioned_handles
from roost.domain.tweets import Author, Tweet, normalise_content
from roost.domain.users import User
from roost.ports import (
    Clock,
    EngagementCache,
    HomeFeeds,
    RateLimiter,
    StoreUnavailable,
    UnitOfWork,
    UnitOfWorkFactory,
)
from roost.services.engagement import Engagement
from roost.services.hydration import TweetHydrator
from roost.services.views import render_tweet

log = logging.getLogger(__name__)

REPLY_TARGET_GONE = "The tweet you reply to does not exist or was deleted."


async def original_of(uow: UnitOfWork, tweet_id: int, missing: str = "No such tweet.") -> Tweet:
    """The post a live tweet shows (the original of a repost, else the tweet): what replies,
    likes and reposts act on. Raises NotFound with ``missing`` when there is none."""
    tweet = await uow.tweets.get(tweet_id)
    if tweet is None:
        raise NotFound(missing)
    return tweet.repost_of or tweet


class Publishing:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        feeds: HomeFeeds,
        hydrator: TweetHydrator,
        engagement: Engagement,
        engagement_cache: EngagementCache,
        rate_limiter: RateLimiter,
        ids: IdGenerator,
        clock: Clock,
        *,
        max_chars: int,
        posts_per_minute: int,
    ) -> None:
        self._uow = uow
        self._feeds = feeds
        self._hydrator = hydrator
        self._engagement = engagement
        self._engagement_cache = engagement_cache
        self._rate_limiter = rate_limiter
        self._ids = ids
        self._clock = clock
        self._max_chars = max_chars
        self._posts_per_minute = posts_per_minute

    async def publish(self, author: User, content: str, in_reply_to: int | None = None) -> Tweet:
        """Store the tweet with its mentions and its ``tweet.created`` event; the author sees
        it at once. A reply to a repost replies to the original."""
        text = normalise_content(content, self._max_chars)
        await self.limit_rate(author)
        async with self._uow() as uow:
            if in_reply_to is not None:
                in_reply_to = (await original_of(uow, in_reply_to, REPLY_TARGET_GONE)).id
            tweet = Tweet(
                id=self._ids.next_id(),
                author=Author(author.id, author.handle, author.display_name),
                content=text,
                created_at=self._clock.now(),
                in_reply_to=in_reply_to,
            )
            await uow.tweets.add(tweet)
            await uow.mentions.add(tweet.id, await self._mentioned(uow, author, text))
            uow.outbox.add(events.tweet_created(tweet.id, author.id))
            await uow.commit()
        await self.show_to_author(tweet)
        return tweet

    async def get(self, reader: User, tweet_id: int) -> bytes:
        rendered = await self._hydrator.rendered([tweet_id])
        if tweet_id not in rendered:
            raise NotFound("No such tweet.")
        return await self._engagement.present_one(reader.id, tweet_id, rendered[tweet_id])

    async def present(self, reader: User, tweet: Tweet) -> bytes:
        """A tweet just written, as the reader sees it."""
        return await self._engagement.present_one(reader.id, tweet.id, render_tweet(tweet))

    async def delete(self, caller: User, tweet_id: int) -> None:
        """Hidden everywhere at once, with its reposts; the ``tweet.deleted`` events then clear
        them from feeds. Deleting a repost is undoing it."""
        async with self._uow() as uow:
            tweet = await uow.tweets.get(tweet_id)
            if tweet is None:
                raise NotFound("No such tweet.")
            if tweet.author.id != caller.id:
                raise Forbidden("Only its author may delete a tweet.")
            withdrawn = [(tweet_id, caller.id)] + await uow.reposts.remove_all_of(tweet_id)
            for gone_id, author_id in withdrawn:
                await uow.tweets.mark_deleted(gone_id, self._clock.now())
                uow.outbox.add(events.tweet_deleted(gone_id, author_id))
            if tweet.repost_of is not None:
                await uow.reposts.remove(caller.id, tweet.repost_of.id)
            await uow.commit()
        for gone_id, _ in withdrawn:
            await self._hydrator.forget(gone_id)
        if tweet.repost_of is not None:
            await self._remember_repost(caller.id, tweet.repost_of.id, False)

    async def show_to_author(self, tweet: Tweet) -> None:
        """The author sees the post at once. Fanout repeats it, so a failure here loses nothing."""
        try:
            await self._feeds.push(tweet.entry, [tweet.author.id])
        except StoreUnavailable:
            log.warning("feed store unavailable; tweet %s reaches feeds through fanout", tweet.id)

    async def limit_rate(self, author: User) -> None:
        retry_after = await self._rate_limiter.hit(f"post:{author.id}", self._posts_per_minute, 60)
        if retry_after:
            raise RateLimited("You are posting too fast; wait a little.", retry_after)

    async def _remember_repost(self, user_id: int, tweet_id: int, reposted: bool) -> None:
        try:
            await self._engagement_cache.set_reposted(user_id, tweet_id, reposted)
        except StoreUnavailable:
            log.warning("engagement cache unavailable; repost flag of %s not cached", tweet_id)

    @staticmethod
    async def _mentioned(uow: UnitOfWork, author: User, text: str) -> list[int]:
        handles = mentioned_handles(text)
        if not handles:
            return []
        found = await uow.users.ids_by_handle_keys(handles)
        return [user_id for user_id in found if user_id != author.id]
