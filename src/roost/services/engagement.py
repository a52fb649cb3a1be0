"""Engagement on the tweets a reader is shown: counts, and whether the reader liked or reposted.

Counts and flags change far more often than tweets, so they are not part of the cached tweet:
they are spliced into it on the way out (views.with_engagement). The feed store may hand some
over with the page (one Redis round trip); the rest come from the engagement cache, then from
SQL, which then fills the cache.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence

from roost.domain.tweets import Counts, Flags
from roost.ports import EngagementCache, StoreUnavailable, UnitOfWorkFactory
from roost.services.views import origin_in, with_engagement

log = logging.getLogger(__name__)


class Engagement:
    def __init__(self, uow: UnitOfWorkFactory, cache: EngagementCache) -> None:
        self._uow = uow
        self._cache = cache

    async def present(
        self,
        reader_id: int,
        rendered: Mapping[int, bytes],
        *,
        origins: Mapping[int, int] | None = None,
        counts: Mapping[int, Counts] | None = None,
        flags: Mapping[int, Flags] | None = None,
    ) -> dict[int, bytes]:
        """Each rendered tweet with its engagement; ``origins`` (tweet -> the post it shows),
        ``counts`` and ``flags`` (by origin) are what the caller already knows."""
        shows = {
            tweet_id: (origins or {}).get(tweet_id) or origin_in(tweet_id, body)
            for tweet_id, body in rendered.items()
        }
        wanted = sorted(set(shows.values()))
        known_counts = await self._counts(wanted, dict(counts or {}))
        known_flags = await self._flags(reader_id, wanted, dict(flags or {}))
        return {
            tweet_id: with_engagement(
                body,
                known_counts.get(shows[tweet_id], Counts()),
                known_flags.get(shows[tweet_id], Flags()),
            )
            for tweet_id, body in rendered.items()
        }

    async def present_one(self, reader_id: int, tweet_id: int, rendered: bytes) -> bytes:
        return (await self.present(reader_id, {tweet_id: rendered}))[tweet_id]

    async def _counts(self, origins: Sequence[int], known: dict[int, Counts]) -> dict[int, Counts]:
        missing = [origin for origin in origins if origin not in known]
        if missing:
            try:
                known |= await self._cache.counts(missing)
            except StoreUnavailable:
                log.warning("engagement cache unavailable; counts from SQL")
            missing = [origin for origin in missing if origin not in known]
        if missing:
            async with self._uow(read_only=True) as uow:
                loaded = await uow.tweets.counts(missing)
            known |= loaded
            with contextlib.suppress(StoreUnavailable):
                await self._cache.put_counts(loaded)
        return known

    async def _flags(
        self, reader_id: int, origins: Sequence[int], known: dict[int, Flags]
    ) -> dict[int, Flags]:
        missing = [origin for origin in origins if origin not in known]
        if missing:
            try:
                known |= await self._cache.flags(reader_id, missing)
            except StoreUnavailable:
                log.warning("engagement cache unavailable; flags from SQL")
            missing = [origin for origin in missing if origin not in known]
        if missing:
            async with self._uow(read_only=True) as uow:
                liked = await uow.likes.liked_among(reader_id, missing)
                reposted = await uow.reposts.reposted_among(reader_id, missing)
            loaded = {o: Flags(o in liked, o in reposted) for o in missing}
            known |= loaded
            with contextlib.suppress(StoreUnavailable):
                await self._cache.put_flags(reader_id, loaded)
        return known
