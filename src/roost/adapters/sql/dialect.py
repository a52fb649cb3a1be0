"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_ignoring_duplicates(dialect: str, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING: how idempotent writes are spelled in roost."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
