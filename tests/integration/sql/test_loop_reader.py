"""Embedded feed pages read on the event loop's thread, and through the pool when SQLite is busy."""

from __future__ import annotations

import sqlite3

import pytest

from roost.adapters.sql.engine import create_engines
from roost.adapters.sql.feed_store import SqlHomeFeeds
from roost.adapters.sql.loop_reader import Busy, LoopReader, Prepared
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import feeds, users
from roost.domain.ids import MAX_ID
from roost.domain.tweets import original
from tests.integration.adapters.test_home_feeds import _user

OWNER = 101


async def test_a_page_is_the_same_read_on_the_loop_or_through_the_pool(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await upgrade_async(sqlite_url)
    engines = create_engines(sqlite_url)
    assert engines.loop_reader is not None
    try:
        async with engines.writer.begin() as conn:
            await conn.execute(users.insert().values(**_user(OWNER)))
            await conn.execute(feeds.insert().values(id=OWNER, owner_id=OWNER, kind="home"))
        store = SqlHomeFeeds(engines, 10)
        for tweet_id in (1, 2, 3):
            await store.push(original(tweet_id), [OWNER])
        on_loop = await store.page(OWNER, MAX_ID, 2)

        read: list[str] = []

        def busy(_: LoopReader, prepared: Prepared, values: object) -> list[object]:
            read.append(prepared.sql)
            raise Busy("database is locked")

        monkeypatch.setattr(LoopReader, "fetch", busy)
        through_pool = await store.page(OWNER, MAX_ID, 2)
        assert read  # the loop was tried first
        assert on_loop == through_pool
        assert through_pool is not None
        assert [entry.tweet_id for entry in through_pool.entries] == [3, 2]
        assert await store.page(999, MAX_ID, 2) is None  # no such feed, either way
    finally:
        await engines.dispose()


async def test_the_loop_s_connection_only_reads(sqlite_url: str) -> None:
    await upgrade_async(sqlite_url)
    engines = create_engines(sqlite_url)
    assert engines.loop_reader is not None
    try:
        reads = LoopReader.prepare(users.select())
        assert engines.loop_reader.fetch(reads, {}) == []
        writes = LoopReader.prepare(users.delete())
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            engines.loop_reader.fetch(writes, {})
    finally:
        await engines.dispose()
