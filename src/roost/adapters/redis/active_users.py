"""Daily active users as one HyperLogLog per day (scaled mode): 12 KiB a day whatever the
number of users, counted with about 0.8% standard error. The day's count is also written to
SQL by the caller at each flush, so history survives a Redis loss."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys

RETENTION_SECONDS = 3 * 86_400  # a day's key is only written during that day


class RedisActiveUsers:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def add(self, day: datetime, user_ids: Sequence[int]) -> int:
        key = self._keys.active_users(day.strftime("%Y-%m-%d"))
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=False) as pipe:
                if user_ids:
                    pipe.pfadd(key, *user_ids)
                    pipe.expire(key, RETENTION_SECONDS)
                pipe.pfcount(key)
                replies = await pipe.execute()
        return int(replies[-1])
