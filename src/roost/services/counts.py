"""Counting: each post's likes, replies and reposts, kept from the event log.

A like does not touch its post's row: a post liked a thousand times a second would make every
like wait for the one before it. The counting consumer instead recounts the posts a batch of
events touched, from the likes, replies and reposts themselves, in one transaction, then caches
the counts. Recounting is idempotent (a replayed event changes nothing) and repairs any drift.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from roost.domain import events
from roost.domain.events import Event
from roost.ports import EngagementCache, StoreUnavailable, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class EngagementCounts:
    def __init__(self, uow: UnitOfWorkFactory, cache: EngagementCache) -> None:
        self._uow = uow
        self._cache = cache

    async def handle(self, event: Event) -> None:
        await self.handle_batch([event])

    async def handle_batch(self, batch: Sequence[Event]) -> None:
        async with self._uow() as uow:
            touched = await self._touched(uow, batch)
            if not touched:
                return
            counts = await uow.tweets.recount(sorted(touched))
            await uow.commit()
        try:
            await self._cache.set_counts(counts)
        except StoreUnavailable:
            log.warning("engagement cache unavailable; cached counts catch up on expiry")

    @staticmethod
    async def _touched(uow: UnitOfWork, batch: Sequence[Event]) -> set[int]:
        """The posts whose counts the batch changed: liked ones, replied-to and reposted ones."""
        touched: set[int] = set()
        created_or_deleted = []
        for event in batch:
            if event.type in (events.LIKE_CREATED, events.LIKE_DELETED):
                touched.add(int(event.payload["tweet_id"]))
            elif event.type in (events.TWEET_CREATED, events.TWEET_DELETED):
                created_or_deleted.append(int(event.payload["tweet_id"]))
        for in_reply_to, repost_of in (await uow.tweets.links(created_or_deleted)).values():
            touched |= {linked for linked in (in_reply_to, repost_of) if linked is not None}
        return touched
