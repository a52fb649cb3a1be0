"""Embedded mode's SQLite engines on a new database file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.adapters.sql.engine import create_engines


async def _journal_mode(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(text("PRAGMA journal_mode"))).scalar())


async def test_connections_opened_together_on_a_new_database_all_use_wal(tmp_path: Path) -> None:
    """Switching a new file to WAL takes an exclusive lock SQLite does not wait for: opened
    together, a connection used to fail with "database is locked" (2 rounds in 100)."""
    for round_ in range(40):
        engines = create_engines(f"sqlite:///{tmp_path / f'roost-{round_}.db'}")
        try:
            modes = await asyncio.gather(
                *(_journal_mode(engines.reader) for _ in range(4)), _journal_mode(engines.writer)
            )
        finally:
            await engines.dispose()
        assert modes == ["wal"] * 5
