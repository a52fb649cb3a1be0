"""Connecting to Redis, and turning its connection errors into StoreUnavailable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

from roost.ports import StoreUnavailable

_UNREACHABLE = (ConnectionError, TimeoutError, BusyLoadingError, OSError)


def connect(url: str) -> Redis:
    """A pooled client. Timeouts are short so a dead Redis is noticed, not waited on; one
    retry, so connections broken by a Redis restart are replaced instead of failing a call.
    The pool is large: a burst of concurrent calls beyond it fails rather than queues (redis-py's
    queueing pool costs about 7% of a feed read)."""
    pool = ConnectionPool.from_url(
        url,
        max_connections=1024,
        socket_connect_timeout=1.0,
        socket_timeout=5.0,
        health_check_interval=15,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[ConnectionError, TimeoutError],
    )
    return Redis(connection_pool=pool)


@contextmanager
def unavailable_on_error() -> Iterator[None]:
    try:
        yield
    except _UNREACHABLE as error:
        raise StoreUnavailable(f"Redis is unreachable: {error}") from error
