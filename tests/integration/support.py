"""Helpers for the integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import msgspec
from sqlalchemy import event

from roost.bootstrap import Roost
from roost.domain.events import Event
from roost.domain.ids import MAX_ID
from roost.domain.users import User
from roost.entrypoints.workers.consumer import TRANSIENT, BatchHandler, ConsumerLoop
from roost.services.sessions import Session


class Consumers:
    """The process's event consumers, driven by hand: ``await consumers.drain()`` handles all
    that is waiting, through every stage (relay, then fanout, in scaled mode).

    Consumers that handle batches do, unless ``batched`` is False (one event at a time, as the
    loop falls back to). A batch that fails fails the drain: the fallback would hide it."""

    def __init__(self, roost: Roost, suffix: str = "", *, batched: bool = True) -> None:
        self._outbox = roost.outbox
        self.batch_failures: list[Exception] = []
        self.loops = [
            ConsumerLoop(
                spec.name + suffix,
                spec.source,
                spec.handler,
                spec.wakeup,
                poll_seconds=0.05,
                batch_handler=self._failing_loudly(spec.batch_handler)
                if batched and spec.batch_handler
                else None,
            )
            for spec in roost.consumers
        ]

    def _failing_loudly(self, handler: BatchHandler) -> BatchHandler:
        async def handle(batch: list[Event]) -> None:
            try:
                await handler(batch)
            except TRANSIENT:
                raise
            except Exception as error:
                self.batch_failures.append(error)
                raise

        return handle

    async def drain(self) -> int:
        """On PostgreSQL an event becomes readable once every older writing transaction of the
        whole server has ended (see docs/design.md), so other work on the server can hold it
        back for a moment: wait for the outbox to be empty, not for one empty read."""
        handled = 0
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            for loop in self.loops:
                handled += await loop.drain()
            assert not self.batch_failures, f"a batch failed: {self.batch_failures!r}"
            first = self.loops[0]
            if not await self._outbox.backlog(first.name):
                return handled
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("events stayed unreadable in the outbox for 10 s")
            await asyncio.sleep(0.02)


async def stored_ids(roost: Roost, owner_id: int, limit: int = 1000) -> list[int] | None:
    """What the feed store holds for a feed (pushed entries only), None when it is missing."""
    found = await roost.feeds.page(owner_id, MAX_ID, limit)
    if found is not None and not found.pulled_authors_known:
        await roost.feeds.set_pulled_authors(owner_id, [])
        found = await roost.feeds.page(owner_id, MAX_ID, limit)
    return None if found is None else [entry.tweet_id for entry in found.entries]


class RoundTrips:
    """Counts the SQL statements and Redis commands a roost issues from now on, for the task
    that made the counter (background work, such as the analytics flush, is not the read).
    A script run on the shared connection of the hot path counts as the EVALSHA it sends."""

    def __init__(self, roost: Roost) -> None:
        self.sql: list[str] = []
        self.redis: list[str] = []
        self._task = asyncio.current_task()
        for engine in {roost.engines.reader, roost.engines.writer}:
            event.listen(engine.sync_engine, "before_cursor_execute", self._sql)
        assert roost.redis is not None
        real = roost.redis.execute_command

        async def counted(*args: Any, **options: Any) -> Any:
            if asyncio.current_task() is self._task:
                self.redis.append(str(args[0]))
            return await real(*args, **options)

        roost.redis.execute_command = counted  # type: ignore[method-assign]
        assert roost.redis_reads is not None
        run_script = roost.redis_reads.run_script

        async def counted_script(*args: Any) -> Any:
            if asyncio.current_task() is self._task:
                self.redis.append("EVALSHA")
            return await run_script(*args)

        roost.redis_reads.run_script = counted_script  # type: ignore[method-assign]

    def _sql(self, *args: Any) -> None:
        if asyncio.current_task() is self._task:
            self.sql.append(str(args[2]))

    def take(self) -> tuple[list[str], list[str]]:
        taken = (list(self.sql), list(self.redis))
        self.sql.clear()
        self.redis.clear()
        return taken


async def reader_of_warm_feed(roost: Roost, posts: int, page: int) -> str:
    """A session token of a reader whose feed holds ``posts`` posts of a followed author, read
    once (``page`` entries) so caches are as in steady state."""
    reader = await roost.accounts.register("alice", "correct horse", None)
    author = await roost.accounts.register("bob", "correct horse", None)
    token, _ = await roost.accounts.log_in("alice", "correct horse")
    await roost.follows.follow(reader, "bob")
    for n in range(posts):
        await roost.publishing.publish(author, f"post {n}")
    await Consumers(roost).drain()
    await roost.home_feed.page(await roost.accounts.authenticate(token), None, page)
    return token


async def read_all(roost: Roost, reader: User) -> list[int]:
    """Every id of the reader's home feed, paging three at a time (pages join pushed and
    pulled entries, so short pages exercise the cursor)."""
    seen: list[int] = []
    cursor = None
    while True:
        page = await roost.home_feed.page(reader, cursor, 3)
        seen += [int(msgspec.json.decode(item)["id"]) for item in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


async def live_session(roost: Roost, user: User) -> Session:
    """A new session of ``user`` (registered with the fixtures' password), as a live stream
    is opened with."""
    token, _ = await roost.accounts.log_in(user.handle, "correct horse")
    return await roost.accounts.session(token)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for ``condition`` (the caller asserts it after): streams open and close on their own
    tasks, which a loaded machine runs late."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
