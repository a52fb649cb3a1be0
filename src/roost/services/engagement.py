"""Engagement on the tweets a reader is shown: counts, and whether the reader liked or reposted.

Counts and flags change far more often than tweets, so they are not part of the cached tweet:
they are spliced into it on the way out (views.with_engagement). The feed store may hand some
over with the page (one Redis round trip); the rest come from the engagement cache, then from
SQL, which then fills the cache.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from operator import itemgetter
from typing import TypeVar, cast

from roost.domain.ids import smallest_id_at
from roost.domain.tweets import Counts, FeedEntry, Flags
from roost.ports import Clock, EngagementCache, StoreUnavailable, UnitOfWorkFactory
from roost.services.views import origin_in, with_engagement, with_engagement_all

log = logging.getLogger(__name__)

_NO_COUNTS, _NO_FLAGS = Counts(), Flags()
_tweet_id, _origin = itemgetter(0), itemgetter(1)
_T = TypeVar("_T")


# A fill that lacks a reader's flags reads all they did from the oldest such post on (see
# EngagementCache.put_flags), within these bounds; beyond them it reads the posts' own flags.
COMPLETE_FLAGS_WINDOW = timedelta(days=2)
COMPLETE_FLAGS_LIMIT = 1_000  # likes, or reposts: one script call writes them all


class Engagement:
    def __init__(self, uow: UnitOfWorkFactory, cache: EngagementCache, clock: Clock) -> None:
        self._uow = uow
        self._cache = cache
        self._clock = clock

    async def present(
        self,
        reader_id: int,
        rendered: Mapping[int, bytes],
        *,
        origins: Mapping[int, int] | None = None,
        counts: Mapping[int, Counts] | None = None,
        flags: Mapping[int, Flags] | None = None,
        cache_read: bool = False,
    ) -> dict[int, bytes]:
        """Each rendered tweet with its engagement; ``origins`` (tweet -> the post it shows),
        ``counts`` and ``flags`` (by origin) are what the caller already knows. With
        ``cache_read`` they are all the cache holds (the feed script read it): what they lack
        comes from SQL without asking the cache again."""
        known, counts, flags = origins or {}, counts or {}, flags or {}
        presented = _spliced(rendered, known, counts, flags, complete=True)
        if presented is None:  # the caller did not know it all: find the rest
            presented = await self._completed(reader_id, rendered, known, counts, flags, cache_read)
        return presented

    async def present_entries(
        self,
        reader_id: int,
        entries: Sequence[FeedEntry],
        rendered: Mapping[int, bytes],
        *,
        counts: Sequence[Counts | None],
        flags: Sequence[Flags | None],
        cache_read: bool,
    ) -> Sequence[bytes | None]:
        """A feed's entries, in order, each its tweet with engagement (None: not rendered, as
        a deleted tweet). ``counts`` and ``flags`` are each entry's as far as known (see
        FeedSlice). The hot path: when they hold all of it and no tweet is missing, one pass
        in C, with no mapping of tweets to origins built for present()."""
        bodies = list(map(rendered.get, map(_tweet_id, entries)))
        if not cache_read and not counts and not flags:  # the store read none (SQL)
            counts, flags = await self._cached(reader_id, entries)
            cache_read = True
        if (
            len(counts) == len(flags) == len(entries)
            and None not in bodies
            and None not in counts
            and None not in flags
        ):
            return with_engagement_all(
                cast(list[bytes], bodies),
                cast(Sequence[Counts], counts),
                cast(Sequence[Flags], flags),
            )
        known_counts = dict(_known(entries, counts))
        known_flags = dict(_known(entries, flags))
        presented: list[bytes | None] = []
        for (_, origin), body in zip(entries, bodies, strict=True):
            if body is None:
                presented.append(None)
                continue
            found_counts, found_flags = known_counts.get(origin), known_flags.get(origin)
            if found_counts is None or found_flags is None:
                break
            presented.append(with_engagement(body, found_counts, found_flags))
        else:
            return presented
        every = await self._completed(
            reader_id, rendered, dict(entries), known_counts, known_flags, cache_read
        )
        return [every.get(tweet_id) for tweet_id, _ in entries]

    async def _cached(
        self, reader_id: int, entries: Sequence[FeedEntry]
    ) -> tuple[list[Counts | None], list[Flags | None]]:
        """What the cache holds of the entries' origins, one for each entry (None where it
        has none, or is unavailable)."""
        origins = list(map(_origin, entries))
        counts: dict[int, Counts] = {}
        flags: dict[int, Flags] = {}
        await self._from_cache(reader_id, origins, counts, flags)
        return list(map(counts.get, origins)), list(map(flags.get, origins))

    async def _completed(
        self,
        reader_id: int,
        rendered: Mapping[int, bytes],
        origins: Mapping[int, int],
        counts: Mapping[int, Counts],
        flags: Mapping[int, Flags],
        cache_read: bool,
    ) -> dict[int, bytes]:
        """The tweets spliced once ``counts`` and ``flags`` have what they lack: from the
        cache (unless the caller read it already), then from SQL."""
        wanted = sorted({origins.get(t) or origin_in(t, body) for t, body in rendered.items()})
        all_counts, all_flags = dict(counts), dict(flags)
        if not cache_read:
            await self._from_cache(reader_id, wanted, all_counts, all_flags)
        await self._from_sql(reader_id, wanted, all_counts, all_flags)
        presented = _spliced(rendered, origins, all_counts, all_flags, complete=False)
        assert presented is not None
        return presented

    async def present_one(self, reader_id: int, tweet_id: int, rendered: bytes) -> bytes:
        return (await self.present(reader_id, {tweet_id: rendered}))[tweet_id]

    async def _from_cache(
        self,
        reader_id: int,
        origins: Sequence[int],
        counts: dict[int, Counts],
        flags: dict[int, Flags],
    ) -> None:
        try:
            if missing := [o for o in origins if o not in counts]:
                counts |= await self._cache.counts(missing)
            if missing := [o for o in origins if o not in flags]:
                flags |= await self._cache.flags(reader_id, missing)
        except StoreUnavailable:
            log.warning("engagement cache unavailable; counts and flags from SQL")

    def _complete_since(self, unflagged: Sequence[int]) -> int | None:
        """The oldest of these posts the reader's flags are worth reading complete from: none
        older than COMPLETE_FLAGS_WINDOW (an old post shown, a repost of one, would pull in all
        that the reader did since); None if none, or if the cache cannot use it."""
        if not unflagged or not self._cache.complete_flags:
            return None
        floor = smallest_id_at(self._clock.now() - COMPLETE_FLAGS_WINDOW)
        return min((o for o in unflagged if o >= floor), default=None)

    async def _from_sql(
        self,
        reader_id: int,
        origins: Sequence[int],
        counts: dict[int, Counts],
        flags: dict[int, Flags],
    ) -> None:
        """What the cache lacked, in one query, then cached. Where flags were missing and the
        cache can take them so, all of the reader's likes and reposts from the oldest of those
        posts on are cached too: the newer posts the reader is shown are then known without
        a field each (see EngagementCache.put_flags)."""
        missing = [o for o in origins if o not in counts or o not in flags]
        if not missing:
            return
        since = self._complete_since([o for o in missing if o not in flags])
        async with self._uow(read_only=True) as uow:
            loaded = await uow.tweets.engagement(reader_id, missing)
            flagged = None
            if since is not None:
                flagged = await uow.tweets.flagged_since(reader_id, since, COMPLETE_FLAGS_LIMIT)
        if flagged is None:  # none asked for, or too many: the posts' own flags only
            since, flagged = None, {}
        new_counts = {o: found[0] for o, found in loaded.items() if o not in counts}
        new_flags = {o: found[1] for o, found in loaded.items() if o not in flags}
        counts |= new_counts
        flags |= new_flags
        with contextlib.suppress(StoreUnavailable):
            await self._cache.put_counts(new_counts)
            await self._cache.put_flags(reader_id, new_flags | flagged, complete_since=since)


def _known(entries: Sequence[FeedEntry], values: Sequence[_T | None]) -> Iterator[tuple[int, _T]]:
    """(origin, value) for the entries whose value is known (none if ``values`` is empty)."""
    for (_, origin), value in zip(entries, values or [None] * len(entries), strict=True):
        if value is not None:
            yield origin, value


def _spliced(
    rendered: Mapping[int, bytes],
    origins: Mapping[int, int],
    counts: Mapping[int, Counts],
    flags: Mapping[int, Flags],
    *,
    complete: bool,
) -> dict[int, bytes] | None:
    """The tweets with their origin's engagement. With ``complete``, None as soon as one
    lacks some (the hot path: the feed store handed over all of it); else zeros for what is
    missing (a post deleted meanwhile)."""
    presented = {}
    for tweet_id, body in rendered.items():
        origin = origins.get(tweet_id) or origin_in(tweet_id, body)
        found_counts, found_flags = counts.get(origin), flags.get(origin)
        if found_counts is None or found_flags is None:
            if complete:
                return None
            found_counts = _NO_COUNTS if found_counts is None else found_counts
            found_flags = _NO_FLAGS if found_flags is None else found_flags
        presented[tweet_id] = with_engagement(body, found_counts, found_flags)
    return presented
