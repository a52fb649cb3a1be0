from roost.adapters.local.rate_limiter import LocalRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_up_to_the_limit_then_refusal_with_the_wait() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(clock)
    assert [await limiter.hit("k", 3, 60) for _ in range(3)] == [0, 0, 0]
    assert await limiter.hit("k", 3, 60) == 20  # one token every 20 s
    clock.now += 20
    assert await limiter.hit("k", 3, 60) == 0
    assert await limiter.hit("k", 3, 60) > 0


async def test_keys_are_limited_separately() -> None:
    limiter = LocalRateLimiter(FakeClock())
    assert await limiter.hit("a", 1, 60) == 0
    assert await limiter.hit("b", 1, 60) == 0
    assert await limiter.hit("a", 1, 60) > 0
