"""The usage stream: API processes append their usage batches, the workers' ``usage`` group
reads them (``RedisStreamEventSource`` on ``Keys.usage``), adds them to the analytics store and
deletes them. While no worker reads, the stream keeps the newest ``max_len`` batches (one a
second per API process, tens of KB each: the tweets a process showed in a second)."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys
from roost.adapters.redis.streams import entry_fields
from roost.domain.analytics import UsageBatch, usage_counted
from roost.ports import StoreUnavailable


class RedisUsageQueue:
    def __init__(self, redis: Redis, keys: Keys, max_len: int) -> None:
        self._redis = redis
        self._stream = keys.usage
        self._max_len = max_len

    async def put(self, batch: UsageBatch) -> None:
        with unavailable_on_error():
            try:
                await self._redis.xadd(
                    self._stream,
                    entry_fields(usage_counted(batch)),
                    maxlen=self._max_len,
                    approximate=True,
                )
            except ResponseError as error:  # out of memory, say: the caller writes it itself
                raise StoreUnavailable(f"the usage stream refused a batch: {error}") from error
