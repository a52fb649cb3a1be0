"""Token-bucket rate limits kept in process memory (embedded mode: one process).

A bucket holds ``limit`` tokens and refills at ``limit`` per window, so a burst of ``limit`` is
allowed and then one more every window/limit seconds; unlike fixed windows, no burst of twice
the limit across a window boundary.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from roost.domain.rate_limits import Quota
from roost.ports import Hit

_MAX_BUCKETS = 100_000


class LocalRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float, float]] = {}  # key -> (tokens, at, window)

    async def hit(self, key: str, limit: int, window_seconds: int) -> Quota:
        return self._take(Hit(key, limit, window_seconds))

    async def hit_many(self, hits: Sequence[Hit]) -> list[Quota]:
        return [self._take(hit) for hit in hits]

    def _take(self, hit: Hit) -> Quota:
        now = self._clock()
        limit, window = hit.limit, hit.window_seconds
        rate = limit / window
        tokens, updated, _ = self._buckets.get(hit.key, (float(limit), now, window))
        tokens = min(float(limit), tokens + (now - updated) * rate)
        granted = min(hit.tokens, math.floor(tokens))
        tokens -= granted
        if granted and hit.key not in self._buckets and len(self._buckets) >= _MAX_BUCKETS:
            self._forget_full_buckets(now)
        self._buckets[hit.key] = (tokens, now, window)
        wait = 0 if granted else max(1, math.ceil((1 - tokens) / rate))
        return Quota(granted, limit, math.floor(tokens), math.ceil((limit - tokens) / rate), wait)

    def _forget_full_buckets(self, now: float) -> None:
        """A bucket idle long enough to be full again says nothing: drop those."""
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items() if now - bucket[1] < bucket[2]
        }
