"""The blocks and mutes tables: one repository class over either (they have the same shape)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.dialect import insert_ignoring_duplicates


class SqlHiding:
    def __init__(self, connection: AsyncConnection, table: Table) -> None:
        self._conn = connection
        self._table = table

    async def add(self, hiding_id: int, user_id: int, target_id: int, at: datetime) -> bool:
        statement = insert_ignoring_duplicates(self._conn.dialect.name, self._table).values(
            id=hiding_id, user_id=user_id, target_id=target_id, created_at=at
        )
        return (await self._conn.execute(statement)).rowcount == 1

    async def remove(self, user_id: int, target_id: int) -> bool:
        table = self._table
        result = await self._conn.execute(
            table.delete().where(table.c.user_id == user_id, table.c.target_id == target_id)
        )
        return result.rowcount == 1

    async def exists(self, user_id: int, target_id: int) -> bool:
        table = self._table
        query = select(exists().where(table.c.user_id == user_id, table.c.target_id == target_id))
        return bool((await self._conn.execute(query)).scalar())

    async def page(self, user_id: int, before_id: int, limit: int) -> list[tuple[int, int]]:
        table = self._table
        query = (
            select(table.c.id, table.c.target_id)
            .where(table.c.user_id == user_id, table.c.id < before_id)
            .order_by(table.c.id.desc())
            .limit(limit)
        )
        return [(row[0], row[1]) for row in await self._conn.execute(query)]

    async def targets(self, user_id: int) -> list[int]:
        table = self._table
        query = select(table.c.target_id).where(table.c.user_id == user_id)
        return list((await self._conn.execute(query)).scalars())

    async def hiders(self, target_ids: Sequence[int]) -> list[tuple[int, int]]:
        if not target_ids:
            return []
        table = self._table
        query = select(table.c.user_id, table.c.target_id).where(
            table.c.target_id.in_(list(target_ids))
        )
        return [(row[0], row[1]) for row in await self._conn.execute(query)]

    async def among(self, user_ids: Sequence[int]) -> set[tuple[int, int]]:
        if not user_ids:
            return set()
        table = self._table
        ids = sorted(set(user_ids))
        query = select(table.c.user_id, table.c.target_id).where(
            table.c.user_id.in_(ids), table.c.target_id.in_(ids)
        )
        return {(row[0], row[1]) for row in await self._conn.execute(query)}
