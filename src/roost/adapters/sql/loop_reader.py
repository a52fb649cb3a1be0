"""SQLite reads on the event loop's own thread, for the hottest query: a feed page.

aiosqlite runs every call on a thread of its own, and a pooled read (check out, BEGIN, execute,
fetch, close, ROLLBACK, check in) hands over between that thread and the loop's about six
times: on one core that cost about 500 us of CPU a page, against the 100 us SQLite takes to
answer it (`docs/benchmarks.md`). WAL readers never wait for the writer, so the statement runs
here, synchronously, on a read-only connection. Should SQLite be busy all the same (a recovery
after a crash), it says so at once rather than block the loop (no busy timeout; SQLite's own brief
retries for a WAL read lock remain), and the caller reads through the pool instead.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

log = logging.getLogger(__name__)

# SQLite's primary result codes for "cannot answer now" (an extended code keeps them in its
# low byte, as SQLITE_BUSY_RECOVERY does)
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement compiled once: its SQL, the order of its parameters and their fixed values."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]


class LoopReader:
    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    @staticmethod
    def prepare(statement: ClauseElement) -> Prepared:
        compiled = statement.compile(dialect=sqlite_dialect.dialect())
        assert isinstance(compiled, SQLCompiler)
        fixed = {name: bind.value for name, bind in compiled.binds.items()}
        return Prepared(str(compiled), tuple(compiled.positiontup or ()), fixed)

    def fetch(self, prepared: Prepared, values: Mapping[str, Any]) -> list[Any] | None:
        """The rows of ``prepared`` with ``values`` for its parameters; None if SQLite was busy
        (any other error is raised: the pool would only meet it again)."""
        merged = {**prepared.fixed, **values}
        parameters = [merged[name] for name in prepared.names]
        try:
            return self._connect().execute(prepared.sql, parameters).fetchall()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF not in _BUSY:
                raise
            log.info("SQLite busy (%s): a page read through the pool", error)
            return None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # no busy timeout: busy answered at once; autocommit: a statement, a snapshot
            connection = sqlite3.connect(
                self._path, timeout=0, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA query_only=1")
            self._connection = connection
        return self._connection
