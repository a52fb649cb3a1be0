"""Shared rate limits asked once per chunk of hits, not once per hit (scaled mode's route limits).

A Redis round trip per request cost about a fifth of the GET /feed rate (the page itself is one
round trip; see docs/design.md, "Rate limits"). This process takes up to ``limit // CHUNK_SHARE``
tokens from the shared bucket at a time and spends them in memory. Every token spent was taken
from the shared bucket, so the limit is never exceeded; tokens a process reserved and did not
spend within the bucket's window are given up, so across P processes a client may be refused
up to P chunks early. One process asks Redis about once per chunk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from roost.domain.rate_limits import Quota
from roost.ports import Hit, RateLimiter

CHUNK_SHARE = 100  # a chunk is a hundredth of the limit: 12 reads of 1,200 a minute
_MAX_RESERVATIONS = 100_000


@dataclass(slots=True)
class _Reservation:
    tokens: int
    until: float
    quota: Quota  # the shared bucket's answer when the tokens were taken


class ReservingRateLimiter:
    def __init__(self, shared: RateLimiter, clock: Callable[[], float] = time.monotonic) -> None:
        self._shared = shared
        self._clock = clock
        self._reserved: dict[str, _Reservation] = {}

    async def hit(self, key: str, limit: int, window_seconds: int) -> Quota:
        return (await self.hit_many([Hit(key, limit, window_seconds)]))[0]

    async def hit_many(self, hits: Sequence[Hit]) -> list[Quota]:
        now = self._clock()
        quotas = [self._spend(hit, now) for hit in hits]
        missing = [i for i, quota in enumerate(quotas) if quota is None]
        if missing:
            asked = [_chunk(hits[i]) for i in missing]
            for i, answer in zip(missing, await self._shared.hit_many(asked), strict=True):
                quotas[i] = self._reserve(hits[i], answer, now)
        return [quota for quota in quotas if quota is not None]

    def _spend(self, hit: Hit, now: float) -> Quota | None:
        reservation = self._reserved.get(hit.key)
        if reservation is None or reservation.tokens < hit.tokens or reservation.until < now:
            return None
        reservation.tokens -= hit.tokens
        shared = reservation.quota
        remaining = min(shared.limit, shared.remaining + reservation.tokens)
        return Quota(hit.tokens, shared.limit, remaining, shared.reset_seconds, 0)

    def _reserve(self, hit: Hit, answer: Quota, now: float) -> Quota:
        """Keep what the shared bucket granted beyond this hit's tokens; report this hit."""
        if not answer.allowed:
            self._reserved.pop(hit.key, None)
            return answer
        if len(self._reserved) >= _MAX_RESERVATIONS:
            self._reserved = {k: r for k, r in self._reserved.items() if r.until >= now}
        taken = min(hit.tokens, answer.granted)
        left = answer.granted - taken
        self._reserved[hit.key] = _Reservation(left, now + hit.window_seconds, answer)
        remaining = min(answer.limit, answer.remaining + left)
        return Quota(taken, answer.limit, remaining, answer.reset_seconds, 0)


def _chunk(hit: Hit) -> Hit:
    return Hit(hit.key, hit.limit, hit.window_seconds, max(hit.tokens, hit.limit // CHUNK_SHARE))
