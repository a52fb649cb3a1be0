"""Fanout: keeps home feeds in step with the events of the log.

Each handler is idempotent and checks current state before acting, so a redelivered or late
event (a follow event handled after the unfollow) changes nothing twice and nothing wrongly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from roost.domain import events
from roost.domain.events import Event
from roost.ports import HomeFeeds, UnitOfWorkFactory
from roost.services.hydration import TweetHydrator


class Fanout:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        feeds: HomeFeeds,
        hydrator: TweetHydrator,
        *,
        feed_max_items: int,
        batch_size: int,
    ) -> None:
        self._uow = uow
        self._batch_size = batch_size
        self._feeds = feeds
        self._hydrator = hydrator
        self._feed_max_items = feed_max_items

    async def handle(self, event: Event) -> None:
        handler = {
            events.TWEET_CREATED: self._deliver_tweet,
            events.TWEET_DELETED: self._withdraw_tweet,
            events.FOLLOW_CREATED: self._backfill,
            events.FOLLOW_DELETED: self._remove_followee,
            events.USER_CREATED: self._create_feed,
        }.get(event.type)
        if handler is not None:
            await handler(event.payload)

    async def _deliver_tweet(self, payload: dict[str, str]) -> None:
        """Push to the author and every follower, a batch of followers per round trip."""
        tweet_id, author_id = int(payload["tweet_id"]), int(payload["author_id"])
        async with self._uow(read_only=True) as uow:
            if await uow.tweets.get(tweet_id) is None:  # deleted since
                return
        await self._feeds.push(tweet_id, [author_id])
        async for batch in self._follower_batches(author_id):
            await self._feeds.push(tweet_id, batch)

    async def _withdraw_tweet(self, payload: dict[str, str]) -> None:
        tweet_id, author_id = int(payload["tweet_id"]), int(payload["author_id"])
        await self._hydrator.forget(tweet_id)  # again: the request's attempt may have failed
        await self._feeds.remove(tweet_id, [author_id])
        async for batch in self._follower_batches(author_id):
            await self._feeds.remove(tweet_id, batch)

    async def _backfill(self, payload: dict[str, str]) -> None:
        follower_id, followee_id = int(payload["follower_id"]), int(payload["followee_id"])
        async with self._uow(read_only=True) as uow:
            if not await uow.follows.exists(follower_id, followee_id):  # unfollowed since
                return
            recent = await uow.tweets.recent_ids_by_author(followee_id, self._feed_max_items)
        await self._feeds.backfill(follower_id, recent)

    async def _remove_followee(self, payload: dict[str, str]) -> None:
        """Remove the followee's tweets still in the feed: those no older than its oldest entry."""
        follower_id, followee_id = int(payload["follower_id"]), int(payload["followee_id"])
        oldest = await self._feeds.oldest(follower_id)
        if oldest is None:
            return
        async with self._uow(read_only=True) as uow:
            if await uow.follows.exists(follower_id, followee_id):  # followed again since
                return
            theirs = await uow.tweets.ids_by_author_since(followee_id, oldest, self._feed_max_items)
        await self._feeds.remove_from(follower_id, theirs)

    async def _create_feed(self, payload: dict[str, str]) -> None:
        """A new user's feed exists from the start, so the first pushes land in it."""
        await self._feeds.materialise(int(payload["user_id"]), [])

    async def _follower_batches(self, author_id: int) -> AsyncIterator[list[int]]:
        """The author's followers in batches. The next batch is read from SQL while the caller
        writes this one, so fanout runs at the pace of the slower store, not of both added."""
        upcoming = asyncio.ensure_future(self._followers_after(author_id, 0))
        try:
            while batch := await upcoming:
                upcoming = asyncio.ensure_future(self._followers_after(author_id, batch[-1]))
                yield batch
        finally:
            upcoming.cancel()

    async def _followers_after(self, author_id: int, after: int) -> list[int]:
        async with self._uow(read_only=True) as uow:
            return await uow.follows.follower_ids(author_id, after, self._batch_size)
