"""Counting: each post's likes, replies and reposts, kept from the event log.

A like does not touch its post's row: a post liked a thousand times a second would make every
like wait for the one before it. The counting consumer instead recounts the posts a batch of
events touched, from the likes, replies and reposts themselves, in one transaction, then caches
the counts. Recounting is idempotent (a replayed event changes nothing) and repairs any drift.

It also caches again, from the database, the flags of each user who liked or reposted: their
own request cached its flag at once, but should that write have failed, a reader's flags that
say which posts are complete (see the Redis engagement cache) would show the action undone
until they expire. Should this write fail too, the batch is retried. Should it land after a
newer action of the same user (committed between its read and its write), that action's own
event sets it right a batch later.
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
            touched, acted = await self._touched(uow, batch)
            if not touched:
                return
            counts = await uow.tweets.recount(sorted(touched))
            flags = await uow.tweets.flags_of(sorted(acted))
            await uow.commit()
        try:
            await self._cache.set_counts(counts)
        except StoreUnavailable:
            log.warning("engagement cache unavailable; cached counts catch up on expiry")
        await self._cache.set_flags(flags)

    @staticmethod
    async def _touched(
        uow: UnitOfWork, batch: Sequence[Event]
    ) -> tuple[set[int], set[tuple[int, int]]]:
        """The posts whose counts the batch changed (liked ones, replied-to and reposted ones),
        and the (user, post) pairs whose flags it changed (likes and reposts)."""
        touched: set[int] = set()
        acted: set[tuple[int, int]] = set()
        created_or_deleted: dict[int, int] = {}  # tweet: author
        for event in batch:
            if event.type in (events.LIKE_CREATED, events.LIKE_DELETED):
                tweet_id = int(event.payload["tweet_id"])
                touched.add(tweet_id)
                acted.add((int(event.payload["user_id"]), tweet_id))
            elif event.type in (events.TWEET_CREATED, events.TWEET_DELETED):
                created_or_deleted[int(event.payload["tweet_id"])] = int(event.payload["author_id"])
        links = await uow.tweets.links(list(created_or_deleted))
        for tweet_id, (in_reply_to, repost_of) in links.items():
            touched |= {linked for linked in (in_reply_to, repost_of) if linked is not None}
            if repost_of is not None:
                acted.add((created_or_deleted[tweet_id], repost_of))
        return touched, acted
