"""The outbox hands every committed event to each consumer once, in commit order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from roost.adapters.sql.engine import create_engines
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.outbox import SqlEventSource, SqlOutbox
from roost.adapters.sql.tables import dead_letters
from roost.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from roost.domain.events import Event, NewEvent


def _event(n: int) -> NewEvent:
    return NewEvent("test.happened", {"n": n})


async def settled_read(source: SqlEventSource, consumer: str, limit: int) -> list[Event]:
    """Read once everything committed is readable: on PostgreSQL, writing transactions in
    other databases of the server (parallel test runs) hold events back for a moment."""
    for _ in range(200):
        if not await source.backlog(consumer):
            return []
        if found := await source.read(consumer, limit):
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("committed events stayed unreadable")


async def test_events_are_read_in_order_and_positions_survive_a_restart(
    database_url: str,
) -> None:
    await upgrade_async(database_url)
    engines = create_engines(database_url)
    rung: list[int] = []
    uow = SqlUnitOfWorkFactory(engines, on_events=lambda: rung.append(1))
    try:
        for n in range(5):
            async with uow() as unit:
                unit.outbox.add(_event(n))
                await unit.commit()
        async with uow() as unit:
            unit.outbox.add(_event(99))  # never committed: never seen
        assert len(rung) == 5

        source = SqlEventSource(engines)
        first = await settled_read(source, "a", limit=3)
        assert [e.payload["n"] for e in first] == [0, 1, 2]
        await source.acknowledge("a", first)
        assert [e.payload["n"] for e in await settled_read(source, "b", 10)] == [0, 1, 2, 3, 4]

        restarted = SqlEventSource(engines)
        rest = await settled_read(restarted, "a", limit=10)
        assert [e.payload["n"] for e in rest] == [3, 4]
        await restarted.acknowledge("a", rest)
        await restarted.acknowledge("a", first[:1])  # an older acknowledgement never rewinds
        assert await SqlEventSource(engines).read("a", limit=10) == []
    finally:
        await engines.dispose()


async def test_an_event_committed_late_is_not_skipped(postgres_url: str) -> None:
    """Transaction A writes first but commits after B: a reader must not pass B before A lands."""
    await upgrade_async(postgres_url)
    engines = create_engines(postgres_url)
    source = SqlEventSource(engines)
    try:
        async with engines.writer.connect() as slow:
            await slow.begin()
            early = SqlOutbox()
            early.add(_event(1))
            await early.flush(slow, now=_now())

            async with engines.writer.begin() as fast:
                late = SqlOutbox()
                late.add(_event(2))
                await late.flush(fast, now=_now())

            assert await source.read("c", limit=10) == []  # B waits for A's fate
            await slow.commit()

        seen = await settled_read(source, "c", limit=10)
        assert [e.payload["n"] for e in seen] == [1, 2]
    finally:
        await engines.dispose()


async def test_events_every_reader_handled_are_pruned_and_no_others(database_url: str) -> None:
    await upgrade_async(database_url)
    engines = create_engines(database_url)
    try:
        uow = SqlUnitOfWorkFactory(engines, on_events=lambda: None)
        for n in range(5):
            async with uow() as unit:
                unit.outbox.add(_event(n))
                await unit.commit()
        source = SqlEventSource(engines)
        readers = ["a", "b"]
        assert await source.prune(readers, 100) == 0  # no reader has begun
        await source.acknowledge("a", await settled_read(source, "a", 10))
        assert await source.prune(readers, 100) == 0  # "b" would read all five
        await source.acknowledge("b", await settled_read(source, "b", 3))

        assert await source.prune(readers, 2) == 2
        assert await source.prune(readers, 100) == 1  # up to where "b" is, and no further
        assert await source.prune(readers, 100) == await source.prune([], 100) == 0
        assert await source.backlog("a") == 0
        left = await settled_read(SqlEventSource(engines), "b", 10)
        assert [e.payload["n"] for e in left] == [3, 4]

        await source.acknowledge("b", left)
        assert await source.prune(readers, 100) == 1  # the newest is kept
        async with uow() as unit:
            unit.outbox.add(_event(5))
            await unit.commit()
        (new,) = await settled_read(source, "a", 10)  # numbered past every position
        assert (new.payload["n"], new.id > left[-1].id) == (5, True)
    finally:
        await engines.dispose()


async def test_dead_letters_are_kept_with_their_error(database_url: str) -> None:
    await upgrade_async(database_url)
    engines = create_engines(database_url)
    try:
        uow = SqlUnitOfWorkFactory(engines, on_events=lambda: None)
        async with uow() as unit:
            unit.outbox.add(_event(7))
            await unit.commit()
        source = SqlEventSource(engines)
        (event,) = await settled_read(source, "d", limit=10)
        await source.dead_letter("d", event, "ValueError('boom')")
        async with engines.reader.connect() as conn:
            rows = (await conn.execute(select(dead_letters))).all()
        assert [(r.consumer, r.event_id, r.error) for r in rows] == [
            ("d", event.id, "ValueError('boom')")
        ]
    finally:
        await engines.dispose()


def _now() -> datetime:
    return datetime.now(UTC)
