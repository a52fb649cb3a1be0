"""Engines for the configured database, with the settings each dialect needs."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from roost.adapters.sql.loop_reader import LoopReader

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(database_url: str) -> URL:
    """The URL with the async driver roost uses for its dialect (sqlite:/// → aiosqlite, ...)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"roost supports sqlite and postgresql databases, not {backend!r}")
    return url.set(drivername=_ASYNC_DRIVERS[backend])


@dataclass(frozen=True, slots=True)
class Engines:
    """Where writes go and where reads go.

    On SQLite, one writer connection that takes the write lock up front (BEGIN IMMEDIATE), so
    writers queue instead of failing with "database is locked", and a pool of readers that WAL
    lets run beside it. On PostgreSQL both are one pooled engine.
    """

    writer: AsyncEngine
    reader: AsyncEngine
    dialect: str
    loop_reader: LoopReader | None = None  # SQLite on a file: the hottest reads (loop_reader.py)

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
        if self.loop_reader is not None:
            self.loop_reader.close()


def create_engines(database_url: str) -> Engines:
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        return Engines(
            writer=_sqlite_engine(url, begin="BEGIN IMMEDIATE", pool_size=1),
            reader=_sqlite_engine(url, begin="BEGIN", pool_size=4),
            dialect="sqlite",
            # a plain path only: URI options (mode=, cache=) are left to aiosqlite's pool
            loop_reader=LoopReader(url.database) if url.database and not url.query else None,
        )
    engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    return Engines(writer=engine, reader=engine, dialect="postgresql")


def _sqlite_engine(url: URL, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # roost emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        for pragma in ("busy_timeout=10000", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        _use_wal(cursor)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def _use_wal(cursor: Any) -> None:
    """WAL is a property of the database file: set once, it only needs checking. Setting it
    takes an exclusive lock, for which SQLite may not wait (it answers "database is locked" at
    once when connections of a new database's pools all set it together), so that is retried."""
    for attempt in range(_WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


_WAL_ATTEMPTS = 5
