"""Fixed-window rate limits kept in process memory (embedded mode: one process)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class LocalRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        now = self._clock()
        window = int(now // window_seconds)
        current, count = self._windows.get(key, (window, 0))
        if current != window:
            count = 0
            self._drop_stale(window, window_seconds)
        if count >= limit:
            return max(1, math.ceil((window + 1) * window_seconds - now))
        self._windows[key] = (window, count + 1)
        return 0

    def _drop_stale(self, window: int, window_seconds: int) -> None:
        """Forget keys of past windows now and then, so memory stays bounded."""
        if len(self._windows) > 10_000:
            self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
