"""Connecting to Redis, and turning its connection errors into StoreUnavailable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

from roost.ports import StoreUnavailable

_UNREACHABLE = (ConnectionError, TimeoutError, BusyLoadingError, OSError)


class _CountingRedis(Redis):
    """Calls ``on_error`` for each command (scripts included) that fails to reach Redis."""

    def __init__(self, *, connection_pool: ConnectionPool, on_error: Callable[[], None]) -> None:
        super().__init__(connection_pool=connection_pool)
        self._on_error = on_error

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except _UNREACHABLE:
            self._on_error()
            raise


def connect(url: str, on_error: Callable[[], None] = lambda: None) -> Redis:
    """A pooled client. Timeouts are short so a dead Redis is noticed, not waited on; one
    retry, so connections broken by a Redis restart are replaced instead of failing a call.
    The pool is large: a burst of concurrent calls beyond it fails rather than queues (redis-py's
    queueing pool costs about 7% of a feed read). ``on_error`` counts unreachable moments."""
    pool = ConnectionPool.from_url(
        url,
        max_connections=1024,
        socket_connect_timeout=1.0,
        socket_timeout=5.0,
        health_check_interval=15,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[ConnectionError, TimeoutError],
    )
    return _CountingRedis(connection_pool=pool, on_error=on_error)


@contextmanager
def unavailable_on_error() -> Iterator[None]:
    try:
        yield
    except _UNREACHABLE as error:
        raise StoreUnavailable(f"Redis is unreachable: {error}") from error
