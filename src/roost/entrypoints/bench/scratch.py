"""Scratch space for a benchmark: a database and a Redis prefix of its own, removed after."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from roost.adapters.sql.engine import async_url


@asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database on the server of ``server_url``; dropped afterwards."""
    name = f"roost_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(async_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@asynccontextmanager
async def scratch_prefix(redis_url: str) -> AsyncIterator[str]:
    """A fresh key prefix; its keys are deleted afterwards."""
    prefix = f"roost-bench-{uuid.uuid4().hex[:10]}:"
    try:
        yield prefix
    finally:
        redis = Redis.from_url(redis_url)
        async for batch in _batches(redis, f"{prefix}*"):
            await redis.unlink(*batch)
        await redis.aclose()


async def _batches(redis: Redis, pattern: str) -> AsyncIterator[list[bytes]]:
    batch: list[bytes] = []
    async for key in redis.scan_iter(match=pattern, count=10_000):
        batch.append(key)
        if len(batch) == 10_000:
            yield batch
            batch = []
    if batch:
        yield batch
