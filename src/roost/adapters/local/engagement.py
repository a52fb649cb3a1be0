"""Engagement counts and each reader's likes and reposts in process: embedded mode's cache.

Coherent because embedded mode is one process: every like, unlike, repost and unrepost is made
here and sets its flag here after its commit, and the counting consumer that recounts after
each like, reply and repost runs here too and sets the counts. The rules are the Redis ones
(adapters/redis/engagement.py): fills from SQL only add what is missing, so a reader that read
SQL just before a like or a recount and fills just after keeps the newer value. A fill can still
lag if the newer value was evicted or expired in between, so every entry expires
ROOST_ENGAGEMENT_CACHE_SECONDS after it was written, which bounds how long. Memory is bounded
too: at most ROOST_ENGAGEMENT_CACHE_SIZE posts' counts, and the flags of as many (reader, post)
pairs (kept per action, as the Redis hash fields are), the least recently used dropped first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Generic, TypeVar

from roost.adapters.local.lru import all_refreshed
from roost.domain.tweets import Counts, Flags

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

LIKED, REPOSTED = 0, 1
_FLAGS = {
    (liked, reposted): Flags(liked, reposted)
    for liked in (False, True)
    for reposted in (False, True)
}
FlagKey = tuple[int, int, int]  # reader, post, LIKED or REPOSTED


_VALUE: Callable[[tuple[Any, float]], Any] = itemgetter(0)
_EXPIRY: Callable[[tuple[Any, float]], float] = itemgetter(1)


class LruEngagementCache:
    def __init__(
        self, capacity: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._counts: _ExpiringLru[int, Counts] = _ExpiringLru(capacity)
        self._flags: _ExpiringLru[FlagKey, bool] = _ExpiringLru(2 * capacity)
        self._ttl = ttl_seconds
        self._clock = clock

    async def counts(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        found = self._counts.get_many(tweet_ids, self._clock())
        return {
            tweet_id: counts
            for tweet_id, counts in zip(tweet_ids, found, strict=True)
            if counts is not None
        }

    async def put_counts(self, counts: dict[int, Counts]) -> None:
        now = self._clock()
        for tweet_id, value in counts.items():
            self._counts.fill(tweet_id, value, now, now + self._ttl)

    async def set_counts(self, counts: dict[int, Counts]) -> None:
        expires = self._clock() + self._ttl
        for tweet_id, value in counts.items():
            self._counts.put(tweet_id, value, expires)

    async def flags(self, user_id: int, tweet_ids: Sequence[int]) -> dict[int, Flags]:
        """Only posts whose two flags are both cached (a like alone caches one)."""
        keys = [(user_id, tweet_id, LIKED) for tweet_id in tweet_ids]
        keys += [(user_id, tweet_id, REPOSTED) for tweet_id in tweet_ids]
        found = self._flags.get_many(keys, self._clock())
        liked, reposted = found[: len(tweet_ids)], found[len(tweet_ids) :]
        return {
            tweet_id: _FLAGS[liked_one, reposted_one]
            for tweet_id, liked_one, reposted_one in zip(tweet_ids, liked, reposted, strict=True)
            if liked_one is not None and reposted_one is not None
        }

    # Flags are kept and evicted one by one, so no mark could say the user's are complete.
    complete_flags = False

    async def put_flags(
        self, user_id: int, flags: dict[int, Flags], *, complete_since: int | None = None
    ) -> None:
        """Flags already cached are kept: they were set by the user's own like or repost, which
        committed after these were read from SQL. ``complete_since`` is not used (see
        ``complete_flags``)."""
        now = self._clock()
        expires = now + self._ttl
        for tweet_id, (liked, reposted) in flags.items():
            self._flags.fill((user_id, tweet_id, LIKED), liked, now, expires)
            self._flags.fill((user_id, tweet_id, REPOSTED), reposted, now, expires)

    async def set_liked(self, user_id: int, tweet_id: int, liked: bool) -> None:
        self._flags.put((user_id, tweet_id, LIKED), liked, self._clock() + self._ttl)

    async def set_reposted(self, user_id: int, tweet_id: int, reposted: bool) -> None:
        self._flags.put((user_id, tweet_id, REPOSTED), reposted, self._clock() + self._ttl)

    async def set_flags(self, flags: Mapping[tuple[int, int], Flags]) -> None:
        for (user_id, tweet_id), (liked, reposted) in flags.items():
            await self.set_liked(user_id, tweet_id, liked)
            await self.set_reposted(user_id, tweet_id, reposted)


class _ExpiringLru(Generic[K, V]):
    """At most ``capacity`` entries, each until its expiry; the least recently used goes first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[K, tuple[V, float]] = OrderedDict()

    def get(self, key: K, now: float) -> V | None:
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return entry[0]

    def get_many(self, keys: Sequence[K], now: float) -> list[V | None]:
        """``get`` of each key: in C when all are cached and live (a page read, the usual
        case), else one by one (the live keys end up refreshed in the same order either way)."""
        entries = all_refreshed(self._items, keys)
        if entries is not None and min(map(_EXPIRY, entries), default=now + 1) > now:
            return list(map(_VALUE, entries))
        return [self.get(key, now) for key in keys]

    def put(self, key: K, value: V, expires: float) -> None:
        if not self._capacity:
            return
        self._items[key] = (value, expires)
        self._items.move_to_end(key)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def fill(self, key: K, value: V, now: float, expires: float) -> None:
        """``put`` where nothing live is cached; what is cached is kept as it is."""
        if self.get(key, now) is None:
            self.put(key, value, expires)
