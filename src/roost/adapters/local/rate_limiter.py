"""Token-bucket rate limits kept in process memory (embedded mode: one process).

A bucket holds ``limit`` tokens and refills at ``limit`` per window, so a burst of ``limit`` is
allowed and then one more every window/limit seconds; unlike fixed windows, no burst of twice
the limit across a window boundary.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

_MAX_BUCKETS = 100_000


class LocalRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated at)

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        now = self._clock()
        rate = limit / window_seconds
        tokens, updated = self._buckets.get(key, (float(limit), now))
        tokens = min(float(limit), tokens + (now - updated) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / rate))
        if len(self._buckets) >= _MAX_BUCKETS:
            self._forget_full_buckets(now)
        self._buckets[key] = (tokens - 1, now)
        return 0

    async def hit_many(self, keys: Sequence[str], limit: int, window_seconds: int) -> list[int]:
        return [await self.hit(key, limit, window_seconds) for key in keys]

    def _forget_full_buckets(self, now: float) -> None:
        """A bucket idle long enough to be full again says nothing: drop those."""
        self._buckets = {
            key: (tokens, updated)
            for key, (tokens, updated) in self._buckets.items()
            if now - updated < 60
        }
