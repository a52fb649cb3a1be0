"""Signals between processes over Redis pub/sub, e.g. "tweet 42 was deleted: drop your copy".

Pub/sub delivers at most once, and nothing while disconnected: after a lost connection every
subscriber is told "" (drop everything), so no process keeps serving what it may have missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis

from roost.adapters.local.signals import LocalSignals
from roost.adapters.redis.connection import unavailable_on_error
from roost.services.background import stop_if_cancelled

log = logging.getLogger(__name__)


class RedisSignals:
    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._local = LocalSignals()

    async def publish(self, topic: str, key: str) -> None:
        with unavailable_on_error():
            await self._redis.publish(self._channel, f"{topic}:{key}")

    def subscribe(self, topic: str, callback: Callable[[str], None]) -> None:
        self._local.subscribe(topic, callback)

    async def listen(self) -> None:
        """Deliver messages until cancelled, reconnecting after errors."""
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._local.deliver_to_all("")  # whatever came while away is unknown
                    async for message in pubsub.listen():
                        topic, _, key = message["data"].decode().partition(":")
                        self._local.deliver(topic, key)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                stop_if_cancelled(error)
                log.warning("signals from Redis interrupted (%r); reconnecting", error)
                await asyncio.sleep(1.0)
            stop_if_cancelled()
