"""Serialised tweets in Redis, with the in-process LRU in front.

Values are written with SET NX so a reader that loaded a tweet just before it was deleted can
never overwrite the deletion mark (an empty value, kept as long as the tweet would have been).
A deletion is also announced on the invalidation channel so every process drops its LRU copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from roost.adapters.local.lru import LruTweetCache
from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys
from roost.adapters.redis.signals import RedisSignals

TWEET_TOPIC = "tweet"


class RedisTweetCache:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        local: LruTweetCache,
        signals: RedisSignals,
        ttl_seconds: int,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._local = local
        self._signals = signals
        self._ttl = ttl_seconds
        signals.subscribe(TWEET_TOPIC, self._drop_local)

    async def get_many(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
        found = await self._local.get_many(tweet_ids)
        if len(found) == len(tweet_ids):  # all in this process, the usual case
            return found
        missing = [tweet_id for tweet_id in tweet_ids if tweet_id not in found]
        if missing:
            with unavailable_on_error():
                bodies: list[Any] = await self._redis.mget([self._keys.tweet(i) for i in missing])
            fetched = {i: body for i, body in zip(missing, bodies, strict=True) if body is not None}
            await self._local.put_many(fetched)
            found.update(fetched)
        return found

    async def put_many(self, rendered: dict[int, bytes]) -> None:
        if not rendered:
            return
        await self._local.put_many(rendered)
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=False) as pipe:
                for tweet_id, body in rendered.items():
                    pipe.set(self._keys.tweet(tweet_id), body, nx=True, ex=self._ttl)
                await pipe.execute()

    async def mark_deleted(self, tweet_id: int) -> None:
        await self._local.mark_deleted(tweet_id)
        with unavailable_on_error():
            await self._redis.set(self._keys.tweet(tweet_id), b"", ex=self._ttl)
        await self._signals.publish(TWEET_TOPIC, str(tweet_id))

    def _drop_local(self, key: str) -> None:
        if key:
            self._local.drop(int(key))
        else:
            self._local.clear()
