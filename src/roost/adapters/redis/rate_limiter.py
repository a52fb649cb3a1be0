"""Token-bucket rate limits shared by all processes, in Redis (see local/rate_limiter.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys
from roost.ports import StoreUnavailable

log = logging.getLogger(__name__)

# KEYS: bucket. ARGV: limit, window in ms. Returns the ms to wait, 0 when allowed. Redis's own
# clock is used, so API processes on machines with skewed clocks agree.
_HIT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = limit / window
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or limit
local at = tonumber(bucket[2]) or now
tokens = math.min(limit, tokens + (now - at) * rate)
local wait = 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) / rate)
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], window)
return wait
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._hit = redis.register_script(_HIT)

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        return (await self.hit_many([key], limit, window_seconds))[0]

    async def hit_many(self, keys: Sequence[str], limit: int, window_seconds: int) -> list[int]:
        """Fails open: with Redis down, requests are not limited (and a warning is logged)."""
        args = [limit, window_seconds * 1000]
        try:
            with unavailable_on_error():
                if len(keys) == 1:
                    waits = [await self._hit(keys=[self._keys.rate_limit(keys[0])], args=args)]
                else:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for key in keys:
                            await self._hit(
                                keys=[self._keys.rate_limit(key)], args=args, client=pipe
                            )
                        waits = await pipe.execute()
        except StoreUnavailable:
            log.warning("rate limits unavailable (Redis down); allowing %s", ", ".join(keys))
            return [0] * len(keys)
        return [0 if int(wait) == 0 else max(1, -(-int(wait) // 1000)) for wait in waits]
