"""Token-bucket rate limits shared by all processes, in Redis (see local/rate_limiter.py)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys
from roost.domain.rate_limits import Quota
from roost.ports import Hit, StoreUnavailable

log = logging.getLogger(__name__)

# KEYS: bucket. ARGV: limit, window in ms, tokens wanted. Returns {tokens granted, tokens left,
# ms until full, ms until the next is allowed (0 when granted)}. Redis's own clock is used, so
# API processes on machines with skewed clocks agree.
_HIT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = limit / window
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or limit
local at = tonumber(bucket[2]) or now
tokens = math.min(limit, tokens + (now - at) * rate)
local granted = math.min(wanted, math.floor(tokens))
local wait = 0
if granted < 1 then
  granted = 0
  wait = math.ceil((1 - tokens) / rate)
end
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], window)
return {granted, math.floor(tokens), math.ceil((limit - tokens) / rate), wait}
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._hit = redis.register_script(_HIT)
        self._down = False

    async def hit(self, key: str, limit: int, window_seconds: int) -> Quota:
        return (await self.hit_many([Hit(key, limit, window_seconds)]))[0]

    async def hit_many(self, hits: Sequence[Hit]) -> list[Quota]:
        """Fails open: with Redis down, requests are not limited (one warning until it is back)."""
        try:
            with unavailable_on_error():
                if len(hits) == 1:
                    answers = [await self._hit(keys=self._key(hits[0]), args=_args(hits[0]))]
                else:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for hit in hits:
                            await self._hit(keys=self._key(hit), args=_args(hit), client=pipe)
                        answers = await pipe.execute()
        except StoreUnavailable:
            if not self._down:
                log.warning("rate limits unavailable (Redis down): not limiting until it is back")
                self._down = True
            return [Quota.unlimited(hit.limit, hit.tokens) for hit in hits]
        self._down = False
        return [_quota(hit, answer) for hit, answer in zip(hits, answers, strict=True)]

    def _key(self, hit: Hit) -> list[str]:
        return [self._keys.rate_limit(hit.key)]


def _args(hit: Hit) -> list[int]:
    return [hit.limit, hit.window_seconds * 1000, hit.tokens]


def _quota(hit: Hit, answer: list[int]) -> Quota:
    granted, remaining, full_ms, wait_ms = (int(value) for value in answer)
    wait = 0 if granted else max(1, math.ceil(wait_ms / 1000))
    return Quota(granted, hit.limit, remaining, math.ceil(full_ms / 1000), wait)
