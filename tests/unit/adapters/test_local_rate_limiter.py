from roost.adapters.local.rate_limiter import LocalRateLimiter
from roost.ports import Hit


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_up_to_the_limit_then_refusal_with_the_wait() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(clock)
    assert [(await limiter.hit("k", 3, 60)).allowed for _ in range(3)] == [True] * 3
    refused = await limiter.hit("k", 3, 60)
    assert (refused.allowed, refused.retry_after_seconds, refused.reset_seconds) == (False, 20, 60)
    clock.now += 20
    again = await limiter.hit("k", 3, 60)
    assert (again.allowed, again.remaining, again.reset_seconds) == (True, 0, 60)
    assert not (await limiter.hit("k", 3, 60)).allowed


async def test_an_idle_bucket_refills_to_its_limit_and_no_further() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(clock)
    await limiter.hit_many([Hit("k", 3, 60, tokens=3)])
    clock.now += 3600
    assert (await limiter.hit("k", 3, 60)).remaining == 2


async def test_hour_long_buckets_are_not_forgotten_after_a_minute() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(clock)
    assert (await limiter.hit("signup", 1, 3600)).allowed
    clock.now += 120
    limiter._forget_full_buckets(clock.now)
    assert not (await limiter.hit("signup", 1, 3600)).allowed
