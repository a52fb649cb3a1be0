"""Idempotency keys in SQL (embedded mode): a row per (user, key) that survives a crash.

A claim is one writer transaction: insert the row, or take over one whose lease or TTL ended,
or read what it holds. Expired rows are deleted in batches by ``run``, in the background.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_, update

from roost.adapters.sql.dialect import insert_ignoring_duplicates
from roost.adapters.sql.engine import Engines
from roost.adapters.sql.tables import idempotency_keys as table
from roost.domain.idempotency import StoredResponse
from roost.ports import Clock, IdempotencyClaim, IdempotencyRecord

log = logging.getLogger(__name__)

PRUNE_BATCH = 1000


class SqlIdempotencyStore:
    def __init__(
        self, engines: Engines, clock: Clock, *, ttl_seconds: float, lease_seconds: float
    ) -> None:
        self._engines = engines
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._lease = timedelta(seconds=lease_seconds)

    async def claim(
        self, user_id: int, key: str, fingerprint: str
    ) -> IdempotencyClaim | IdempotencyRecord:
        now = self._clock.now()
        claim = IdempotencyClaim(user_id, key, fingerprint, secrets.token_hex(16))
        fresh: dict[str, Any] = {
            "fingerprint": fingerprint,
            "token": claim.token,
            "status": None,
            "headers": None,
            "body": None,
            "expires_at": now + self._lease,
        }
        this = (table.c.user_id == user_id) & (table.c.key == key)
        while True:  # again only when the row was released between two statements
            async with self._engines.writer.begin() as conn:
                insert = insert_ignoring_duplicates(self._engines.dialect, table)
                if (await conn.execute(insert.values(user_id=user_id, key=key, **fresh))).rowcount:
                    return claim
                taken = await conn.execute(
                    update(table).where(this, table.c.expires_at <= now).values(**fresh)
                )
                if taken.rowcount:
                    return claim
                columns = (table.c.fingerprint, table.c.status, table.c.headers, table.c.body)
                row = (await conn.execute(select(*columns).where(this))).one_or_none()
            if row is not None:
                return _record(row.fingerprint, row.status, row.headers, row.body)

    async def complete(self, claim: IdempotencyClaim, response: StoredResponse) -> None:
        async with self._engines.writer.begin() as conn:
            await conn.execute(
                update(table)
                .where(_held(claim))
                .values(
                    status=response.status,
                    headers=json.dumps(response.headers),
                    body=response.body,
                    expires_at=self._clock.now() + self._ttl,
                )
            )

    async def release(self, claim: IdempotencyClaim) -> None:
        async with self._engines.writer.begin() as conn:
            await conn.execute(delete(table).where(_held(claim)))

    async def prune(self) -> int:
        """Delete the expired rows, a batch a transaction; how many were deleted."""
        pruned = 0
        while True:
            expired = (
                select(table.c.user_id, table.c.key)
                .where(table.c.expires_at <= self._clock.now())
                .limit(PRUNE_BATCH)
            )
            async with self._engines.writer.begin() as conn:
                deleted = (
                    await conn.execute(
                        delete(table).where(tuple_(table.c.user_id, table.c.key).in_(expired))
                    )
                ).rowcount
            pruned += deleted
            if deleted < PRUNE_BATCH:
                return pruned

    async def run(self, every_seconds: float) -> None:
        """Prune, forever (a background job of each process)."""
        while True:
            try:
                await self.prune()
            except Exception:
                log.exception("idempotency keys: expired rows not pruned")
            await asyncio.sleep(every_seconds)


def _held(claim: IdempotencyClaim) -> Any:
    return (
        (table.c.user_id == claim.user_id)
        & (table.c.key == claim.key)
        & (table.c.token == claim.token)
    )


def _record(
    fingerprint: str, status: int | None, headers: str | None, body: bytes | None
) -> IdempotencyRecord:
    if status is None or headers is None or body is None:
        return IdempotencyRecord(fingerprint, None)
    kept = tuple((name, value) for name, value in json.loads(headers))
    return IdempotencyRecord(fingerprint, StoredResponse(status, kept, body))
