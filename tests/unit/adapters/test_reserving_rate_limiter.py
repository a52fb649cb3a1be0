"""Route limits reserved from shared buckets in chunks: few round trips, never over the limit."""

from __future__ import annotations

from collections.abc import Sequence

from roost.adapters.local.rate_limiter import LocalRateLimiter
from roost.adapters.local.reserving_rate_limiter import ReservingRateLimiter
from roost.domain.rate_limits import Quota
from roost.ports import Hit
from tests.unit.adapters.test_local_rate_limiter import FakeClock


class CountingLimiter(LocalRateLimiter):
    """The shared buckets, counting the round trips made to them."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.calls = 0

    async def hit_many(self, hits: Sequence[Hit]) -> list[Quota]:
        self.calls += 1
        return await super().hit_many(hits)


async def test_one_round_trip_per_chunk_and_the_limit_holds() -> None:
    clock = FakeClock()
    shared = CountingLimiter(clock)
    limiter = ReservingRateLimiter(shared, clock)
    quotas = [await limiter.hit("k", 1000, 60) for _ in range(1001)]
    assert [q.allowed for q in quotas] == [True] * 1000 + [False]
    assert shared.calls == 1000 // 10 + 1  # chunks of a hundredth, then the refusal
    assert quotas[0].remaining == 999
    assert quotas[999].remaining == 0
    assert quotas[1000].retry_after_seconds >= 1


async def test_two_processes_never_grant_more_than_the_limit_together() -> None:
    clock = FakeClock()
    shared = CountingLimiter(clock)
    first, second = ReservingRateLimiter(shared, clock), ReservingRateLimiter(shared, clock)
    granted = 0
    for n in range(1200):
        quota = await (first if n % 3 else second).hit("k", 1000, 60)
        granted += quota.allowed
    assert 990 <= granted <= 1000  # at most a chunk per process left unspent


async def test_a_small_limit_asks_the_shared_bucket_every_time() -> None:
    clock = FakeClock()
    shared = CountingLimiter(clock)
    limiter = ReservingRateLimiter(shared, clock)
    assert [(await limiter.hit("k", 3, 60)).allowed for _ in range(4)] == [True] * 3 + [False]
    assert shared.calls == 4


async def test_unspent_tokens_are_given_up_after_the_window() -> None:
    clock = FakeClock()
    shared = CountingLimiter(clock)
    limiter = ReservingRateLimiter(shared, clock)
    await limiter.hit("k", 1000, 60)
    clock.now += 61
    await limiter.hit("k", 1000, 60)
    assert shared.calls == 2


async def test_many_keys_in_one_round_trip() -> None:
    clock = FakeClock()
    shared = CountingLimiter(clock)
    limiter = ReservingRateLimiter(shared, clock)
    quotas = await limiter.hit_many([Hit("ip", 1000, 60), Hit("token", 100, 60)])
    assert [q.allowed for q in quotas] == [True, True]
    assert [q.limit for q in quotas] == [1000, 100]
    assert shared.calls == 1
