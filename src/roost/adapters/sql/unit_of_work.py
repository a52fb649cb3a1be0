"""The SQL unit of work: one transaction, its repositories, and its outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.engine import Engines
from roost.adapters.sql.hiding import SqlHiding
from roost.adapters.sql.notifications import SqlNotifications
from roost.adapters.sql.outbox import SqlOutbox
from roost.adapters.sql.repositories import (
    SqlFollows,
    SqlLikes,
    SqlMentions,
    SqlReposts,
    SqlTokens,
    SqlTweets,
    SqlUsers,
)
from roost.adapters.sql.tables import blocks, mutes


class SqlUnitOfWork:
    users: SqlUsers
    tokens: SqlTokens
    tweets: SqlTweets
    follows: SqlFollows
    likes: SqlLikes
    reposts: SqlReposts
    mentions: SqlMentions
    notifications: SqlNotifications
    blocks: SqlHiding
    mutes: SqlHiding
    outbox: SqlOutbox

    def __init__(self, engines: Engines, *, read_only: bool, on_events: Callable[[], None]) -> None:
        self._engine = engines.reader if read_only else engines.writer
        self._read_only = read_only
        self._on_events = on_events
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        self.users = SqlUsers(self._conn)
        self.tokens = SqlTokens(self._conn)
        self.tweets = SqlTweets(self._conn)
        self.follows = SqlFollows(self._conn)
        self.likes = SqlLikes(self._conn)
        self.reposts = SqlReposts(self._conn)
        self.mentions = SqlMentions(self._conn)
        self.notifications = SqlNotifications(self._conn)
        self.blocks = SqlHiding(self._conn, blocks)
        self.mutes = SqlHiding(self._conn, mutes)
        self.outbox = SqlOutbox()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            await self._conn.close()
            self._conn = None

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        assert self._conn is not None
        has_events = bool(self.outbox.pending)
        await self.outbox.flush(self._conn, datetime.now(UTC))
        await self._conn.commit()
        if has_events:
            self._on_events()


class SqlUnitOfWorkFactory:
    """Makes units of work; ``on_events`` is called after each commit that wrote events."""

    def __init__(self, engines: Engines, on_events: Callable[[], None]) -> None:
        self._engines = engines
        self._on_events = on_events

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engines, read_only=read_only, on_events=self._on_events)
