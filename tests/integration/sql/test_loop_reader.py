"""Embedded feed pages read on the event loop's thread, and through the pool when SQLite is busy."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from roost.adapters.sql.engine import Engines, create_engines
from roost.adapters.sql.feed_store import SqlHomeFeeds
from roost.adapters.sql.loop_reader import LoopReader
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import feeds, users
from roost.domain.ids import MAX_ID
from roost.domain.tweets import original
from tests.integration.adapters.test_home_feeds import _user

OWNER = 101


class Failing:
    """A connection whose every statement fails with SQLite's ``code``."""

    def __init__(self, code: int) -> None:
        self.code = code

    def execute(self, *_: Any) -> Any:
        error = sqlite3.OperationalError("database is locked" if self.code == 5 else "boom")
        error.sqlite_errorcode = self.code  # type: ignore[attr-defined]
        raise error


async def store_of_three(url: str) -> tuple[Engines, SqlHomeFeeds]:
    await upgrade_async(url)
    engines = create_engines(url)
    async with engines.writer.begin() as conn:
        await conn.execute(users.insert().values(**_user(OWNER)))
        await conn.execute(feeds.insert().values(id=OWNER, owner_id=OWNER, kind="home"))
    store = SqlHomeFeeds(engines, 10)
    for tweet_id in (1, 2, 3):
        await store.push(original(tweet_id), [OWNER])
    return engines, store


async def test_a_page_is_read_on_the_loop_and_through_the_pool_when_sqlite_is_busy(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engines, store = await store_of_three(sqlite_url)
    reader = engines.loop_reader
    assert reader is not None
    try:
        answered: list[object] = []
        fetch = LoopReader.fetch

        def spied(self: LoopReader, *args: Any) -> Any:
            answered.append(found := fetch(self, *args))
            return found

        monkeypatch.setattr(LoopReader, "fetch", spied)
        on_loop = await store.page(OWNER, MAX_ID, 2)
        assert len(answered) == 1
        assert answered[0] is not None  # the loop's connection answered

        monkeypatch.setattr(LoopReader, "_connect", lambda _: Failing(sqlite3.SQLITE_BUSY))
        through_pool = await store.page(OWNER, MAX_ID, 2)
        assert answered[-1] is None  # busy: the pool answered
        assert on_loop == through_pool
        assert through_pool is not None
        assert [entry.tweet_id for entry in through_pool.entries] == [3, 2]
        assert await store.page(999, MAX_ID, 2) is None  # no such feed, either way

        monkeypatch.setattr(LoopReader, "_connect", lambda _: Failing(sqlite3.SQLITE_ERROR))
        with pytest.raises(sqlite3.OperationalError, match="boom"):  # not hidden
            await store.page(OWNER, MAX_ID, 2)
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


def test_a_database_opened_with_uri_options_is_read_through_the_pool(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'roost.db'}"
    assert create_engines(url).loop_reader is not None
    assert create_engines(url + "?mode=ro&uri=true").loop_reader is None
