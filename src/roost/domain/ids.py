"""Time-ordered 64-bit ids (Snowflake layout), so "newest first" is "largest id first".

Layout, most significant first: 41 bits of milliseconds since ``EPOCH_MS``, 10 bits of worker
number, 12 bits of sequence within the millisecond. 41 bits of milliseconds last 69 years.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER = (1 << WORKER_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
TIMESTAMP_SHIFT = WORKER_BITS + SEQUENCE_BITS
MAX_ID = (1 << 63) - 1


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class IdGenerator:
    """Hands out strictly increasing ids for one worker; safe to share between threads."""

    def __init__(self, worker_id: int = 0, clock: Callable[[], int] = _now_ms) -> None:
        if not 0 <= worker_id <= MAX_WORKER:
            raise ValueError(f"worker_id must be within 0..{MAX_WORKER}")
        self._worker = worker_id
        self._clock = clock
        self._last_ms = -1
        self._sequence = 0
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            now = max(self._clock(), self._last_ms)  # never run backwards with the wall clock
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & MAX_SEQUENCE
                if self._sequence == 0:  # 4,096 ids used in this millisecond: borrow the next
                    now += 1
            else:
                self._sequence = 0
            self._last_ms = now
            return (
                ((now - EPOCH_MS) << TIMESTAMP_SHIFT)
                | (self._worker << SEQUENCE_BITS)
                | (self._sequence)
            )


def id_timestamp(snowflake: int) -> datetime:
    """The moment an id was made, to the millisecond."""
    ms = (snowflake >> TIMESTAMP_SHIFT) + EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def smallest_id_at(moment: datetime) -> int:
    """The smallest id that could be made at ``moment``: a lower bound for range queries."""
    ms = int(moment.timestamp() * 1000) - EPOCH_MS
    return max(ms, 0) << TIMESTAMP_SHIFT


def random_id_at(moment: datetime) -> int:
    """A time-ordered id that needs no worker number: ``moment``'s milliseconds, then 22 random
    bits where a Snowflake id has its worker and sequence. For what is made about once a second
    per process and must never collide silently, even between processes given one worker number
    by mistake (two ids of one millisecond collide once in four million)."""
    return smallest_id_at(moment) | secrets.randbits(TIMESTAMP_SHIFT)


def parse_id(text: str) -> int | None:
    """An id written as decimal digits, or None. The length is checked before int(), which
    refuses (and is slow on) strings of thousands of digits."""
    if not 0 < len(text) <= 19 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
