"""Likes and reposts. Both go to the original: liking or reposting a repost acts on the post it
shows. Both are idempotent, write their event in the same transaction, and record the actor's
flag in the engagement cache after the commit. The counts follow from the events (counts.py):
a post liked a thousand times a second would otherwise be one row every like waits for."""

from __future__ import annotations

import logging

from roost.domain import events
from roost.domain.errors import NotFound, RateLimited
from roost.domain.ids import IdGenerator
from roost.domain.tweets import Author, Tweet
from roost.domain.users import User
from roost.ports import (
    Clock,
    EngagementCache,
    RateLimiter,
    StoreUnavailable,
    UnitOfWork,
    UnitOfWorkFactory,
)
from roost.services.hydration import TweetHydrator
from roost.services.publishing import Publishing, original_of

log = logging.getLogger(__name__)


class Interactions:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishing: Publishing,
        hydrator: TweetHydrator,
        cache: EngagementCache,
        rate_limiter: RateLimiter,
        ids: IdGenerator,
        clock: Clock,
        *,
        actions_per_minute: int,
    ) -> None:
        self._uow = uow
        self._publishing = publishing
        self._hydrator = hydrator
        self._cache = cache
        self._rate_limiter = rate_limiter
        self._ids = ids
        self._clock = clock
        self._actions_per_minute = actions_per_minute

    async def like(self, user: User, tweet_id: int) -> None:
        await self._limit_rate(user)
        async with self._uow() as uow:
            original = await original_of(uow, tweet_id)
            if await uow.likes.add(user.id, original.id, self._clock.now()):
                uow.outbox.add(events.like_created(user.id, original.id))
                await uow.commit()
        await self._remember(user, original.id, liked=True)

    async def unlike(self, user: User, tweet_id: int) -> None:
        await self._limit_rate(user)
        async with self._uow() as uow:
            original = await original_of(uow, tweet_id)
            if await uow.likes.remove(user.id, original.id):
                uow.outbox.add(events.like_deleted(user.id, original.id))
                await uow.commit()
        await self._remember(user, original.id, liked=False)

    async def repost(self, user: User, tweet_id: int) -> tuple[Tweet, bool]:
        """The user's repost of the tweet's original, and whether it is new (reposting again
        returns the first repost). It enters feeds through fanout, as any post."""
        await self._publishing.limit_rate(user)
        async with self._uow() as uow:
            original = await original_of(uow, tweet_id)
            existing = await self._existing_repost(uow, user, original.id)
            if existing is not None:
                return existing, False
            repost = Tweet(
                id=self._ids.next_id(),
                author=Author(user.id, user.handle, user.display_name),
                content="",
                created_at=self._clock.now(),
                in_reply_to=None,
                repost_of=original,
            )
            if not await uow.reposts.add(user.id, original.id, repost.id):  # a racing repost
                raced = await self._existing_repost(uow, user, original.id)
                if raced is None:
                    raise NotFound("No such tweet.")
                return raced, False
            await uow.tweets.add([repost])
            uow.outbox.add(events.tweet_created(repost.id, user.id))
            await uow.commit()
        await self._publishing.show_to_author(repost)
        await self._remember(user, original.id, reposted=True)
        return repost, True

    async def unrepost(self, user: User, tweet_id: int) -> None:
        async with self._uow() as uow:
            original = await original_of(uow, tweet_id)
            repost_id = await uow.reposts.remove(user.id, original.id)
            if repost_id is not None:
                await uow.tweets.mark_deleted(repost_id, self._clock.now())
                uow.outbox.add(events.tweet_deleted(repost_id, user.id))
                await uow.commit()
        if repost_id is not None:
            await self._hydrator.forget(repost_id)
        await self._remember(user, original.id, reposted=False)

    async def _limit_rate(self, user: User) -> None:
        quota = await self._rate_limiter.hit(f"act:{user.id}", self._actions_per_minute, 60)
        if not quota.allowed:
            raise RateLimited("You are liking too fast; wait a little.", quota)

    @staticmethod
    async def _existing_repost(uow: UnitOfWork, user: User, original_id: int) -> Tweet | None:
        repost_id = await uow.reposts.of(user.id, original_id)
        return None if repost_id is None else await uow.tweets.get(repost_id)

    async def _remember(
        self,
        user: User,
        original_id: int,
        *,
        liked: bool | None = None,
        reposted: bool | None = None,
    ) -> None:
        """Record the actor's flag; a failure leaves it to expire (see adapters)."""
        try:
            if liked is not None:
                await self._cache.set_liked(user.id, original_id, liked)
            if reposted is not None:
                await self._cache.set_reposted(user.id, original_id, reposted)
        except StoreUnavailable:
            log.warning("engagement cache unavailable; %s catches up on expiry", original_id)
