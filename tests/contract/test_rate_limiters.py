"""One suite for every RateLimiter: in process (embedded) and in Redis (scaled)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from roost.adapters.local.rate_limiter import LocalRateLimiter
from roost.adapters.redis.keys import Keys
from roost.adapters.redis.rate_limiter import RedisRateLimiter
from roost.domain.rate_limits import Quota
from roost.ports import Hit, RateLimiter
from tests.conftest import REDIS_URL


@pytest.fixture(params=["local", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "local":
        yield LocalRateLimiter()
        return
    prefix: str = request.getfixturevalue("redis_prefix")
    redis = Redis.from_url(REDIS_URL)
    try:
        yield RedisRateLimiter(redis, Keys(prefix))
    finally:
        await redis.aclose()


def key() -> str:
    return uuid.uuid4().hex


async def test_a_burst_up_to_the_limit_counts_down_then_is_refused(limiter: RateLimiter) -> None:
    bucket = key()
    quotas = [await limiter.hit(bucket, 3, 60) for _ in range(3)]
    assert [(q.allowed, q.limit, q.remaining) for q in quotas] == [
        (True, 3, 2),
        (True, 3, 1),
        (True, 3, 0),
    ]
    assert all(q.retry_after_seconds == 0 for q in quotas)
    assert all(1 <= q.reset_seconds <= 60 for q in quotas)
    refused = await limiter.hit(bucket, 3, 60)
    assert not refused.allowed
    assert (refused.granted, refused.limit, refused.remaining) == (0, 3, 0)
    assert 19 <= refused.retry_after_seconds <= 20  # one token every 20 s
    assert 59 <= refused.reset_seconds <= 60  # three tokens to full


async def test_keys_are_limited_separately(limiter: RateLimiter) -> None:
    a, b = key(), key()
    assert (await limiter.hit(a, 1, 60)).allowed
    assert (await limiter.hit(b, 1, 60)).allowed
    assert not (await limiter.hit(a, 1, 60)).allowed


async def test_many_hits_with_their_own_limits_in_one_call(limiter: RateLimiter) -> None:
    small, large = key(), key()
    quotas = await limiter.hit_many(
        [Hit(small, 1, 60), Hit(large, 100, 60), Hit(small, 1, 60), Hit(large, 100, 3600)]
    )
    assert [q.allowed for q in quotas] == [True, True, False, True]
    assert [q.limit for q in quotas] == [1, 100, 1, 100]
    assert quotas[1].remaining == 99


async def test_several_tokens_are_granted_as_far_as_the_bucket_holds(
    limiter: RateLimiter,
) -> None:
    bucket = key()
    first, second, third = await limiter.hit_many(
        [Hit(bucket, 10, 60, tokens=6), Hit(bucket, 10, 60, tokens=6), Hit(bucket, 10, 60, 6)]
    )
    assert (first.granted, first.remaining) == (6, 4)
    assert (second.granted, second.remaining) == (4, 0)
    assert third == Quota(0, 10, 0, third.reset_seconds, third.retry_after_seconds)
    assert third.retry_after_seconds >= 1
