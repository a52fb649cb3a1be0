"""The usage stream: API processes append their usage batches, the workers' ``usage`` group
reads them (``RedisStreamEventSource`` on ``Keys.usage``) and adds them to the analytics store."""

from __future__ import annotations

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys
from roost.adapters.redis.streams import entry_fields
from roost.domain.analytics import UsageBatch, usage_counted

# A batch is up to a few hundred KB (the tweets a process showed in a second): the stream keeps
# a few hours of one process's batches for workers that are down, not days of all of them.
MAX_BATCHES = 10_000


class RedisUsageQueue:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._stream = keys.usage

    async def put(self, batch: UsageBatch) -> None:
        with unavailable_on_error():
            await self._redis.xadd(
                self._stream,
                entry_fields(usage_counted(batch)),
                maxlen=MAX_BATCHES,
                approximate=True,
            )
