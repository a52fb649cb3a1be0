"""The outbox: events written in the transaction of their change, read back in commit order."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.dialect import insert_ignoring_duplicates
from roost.adapters.sql.engine import Engines
from roost.adapters.sql.tables import consumer_positions, dead_letters, events
from roost.domain.events import Event, NewEvent
from roost.ports import DeadLetter

# The id of the writing transaction, and the oldest transaction still running: an event is safe
# to read once its transaction is older than every running one (see tables.events).
_PG_TXID = text("pg_current_xact_id()::text::bigint")
_PG_SETTLED_BELOW = text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


class SqlOutbox:
    """Collects a unit of work's events and writes them in its transaction."""

    def __init__(self) -> None:
        self.pending: list[NewEvent] = []

    def add(self, event: NewEvent) -> None:
        self.pending.append(event)

    async def flush(self, connection: AsyncConnection, now: datetime) -> None:
        if not self.pending:
            return
        rows = [
            {
                "type": e.type,
                "payload": json.dumps(e.payload, separators=(",", ":")),
                "created_at": now,
            }
            for e in self.pending
        ]
        statement = events.insert()
        if connection.dialect.name == "postgresql":
            statement = statement.values(txid=_PG_TXID)
        await connection.execute(statement, rows)


class SqlEventSource:
    """Each consumer keeps its position (transaction id, event id) in ``consumer_positions``."""

    def __init__(self, engines: Engines, clock: Callable[[], datetime] | None = None) -> None:
        self._engines = engines
        self._now = clock or (lambda: datetime.now(UTC))
        self._positions: dict[str, tuple[int, int]] = {}

    async def read(self, consumer: str, limit: int) -> list[Event]:
        txid, event_id = await self._position(consumer)
        after = or_(events.c.txid > txid, and_(events.c.txid == txid, events.c.id > event_id))
        query = select(events.c.id, events.c.txid, events.c.type, events.c.payload).where(after)
        if self._engines.dialect == "postgresql":
            query = query.where(events.c.txid < _PG_SETTLED_BELOW)
        query = query.order_by(events.c.txid, events.c.id).limit(limit)
        async with self._engines.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Event(row.id, row.type, json.loads(row.payload), txid=row.txid) for row in rows]

    async def acknowledge(self, consumer: str, handled: Sequence[Event]) -> None:
        if not handled:
            return
        event = handled[-1]
        position = (event.txid, event.id)
        async with self._engines.writer.begin() as conn:
            saved = await conn.execute(
                consumer_positions.update()
                .where(
                    consumer_positions.c.consumer == consumer,
                    tuple_(consumer_positions.c.txid, consumer_positions.c.event_id) < position,
                )
                .values(txid=event.txid, event_id=event.id, updated_at=self._now())
            )
            if saved.rowcount == 0:
                await conn.execute(
                    insert_ignoring_duplicates(conn.dialect.name, consumer_positions).values(
                        consumer=consumer,
                        txid=event.txid,
                        event_id=event.id,
                        updated_at=self._now(),
                    )
                )
        self._positions[consumer] = position

    async def dead_letter(self, consumer: str, event: Event, error: str) -> None:
        async with self._engines.writer.begin() as conn:
            await conn.execute(
                dead_letters.insert().values(
                    consumer=consumer,
                    event_id=event.id,
                    event_type=event.type,
                    payload=json.dumps(event.payload),
                    error=error,
                    created_at=self._now(),
                )
            )

    async def backlog(self, consumer: str) -> int:
        """Events committed or in flight after the consumer's position, visible yet or not."""
        txid, event_id = await self._position(consumer)
        after = or_(events.c.txid > txid, and_(events.c.txid == txid, events.c.id > event_id))
        query = select(func.count()).select_from(events).where(after)
        async with self._engines.reader.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def prune(self, readers: Sequence[str], limit: int) -> int:
        """Delete up to ``limit`` of the oldest events that every one of ``readers`` has
        handled; none while one of them has not saved a position yet. Safe on PostgreSQL: a
        position is only ever an event read once every transaction up to its own had ended,
        so nothing can still commit at or before the oldest of them. The newest event is
        always kept: SQLite numbers a new row one past the largest id in the table, so an
        emptied outbox would hand out ids again, behind every reader's position."""
        if not readers:
            return 0
        query = select(consumer_positions.c.txid, consumer_positions.c.event_id).where(
            consumer_positions.c.consumer.in_(list(readers))
        )
        async with self._engines.writer.begin() as conn:
            positions = [(row[0], row[1]) for row in await conn.execute(query)]
            if len(positions) < len(set(readers)):
                return 0
            oldest = min(positions)
            newest = select(func.max(events.c.id)).scalar_subquery()
            handled = (
                select(events.c.id)
                .where(tuple_(events.c.txid, events.c.id) <= oldest, events.c.id < newest)
                .order_by(events.c.txid, events.c.id)
                .limit(limit)
            )
            deleted = await conn.execute(events.delete().where(events.c.id.in_(handled)))
        return max(deleted.rowcount, 0)

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        query = select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit)
        async with self._engines.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            DeadLetter(
                row.consumer,
                Event(row.event_id, row.event_type, json.loads(row.payload)),
                row.error,
            )
            for row in rows
        ]

    async def _position(self, consumer: str) -> tuple[int, int]:
        if consumer not in self._positions:
            query = select(consumer_positions.c.txid, consumer_positions.c.event_id).where(
                consumer_positions.c.consumer == consumer
            )
            async with self._engines.reader.connect() as conn:
                row = (await conn.execute(query)).first()
            self._positions[consumer] = (row[0], row[1]) if row else (-1, 0)
        return self._positions[consumer]
