"""Idempotency keys: a keyed write runs once per (user, key); its retries get its first response.

Entry points fingerprint the request (domain.idempotency), then ``begin``: a claim to run it,
the stored response to replay, or IdempotencyKeyInFlight / IdempotencyKeyReused. With the store
unreachable (Redis down) requests run unprotected rather than fail, as rate limits do.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from roost.domain.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from roost.domain.idempotency import StoredResponse
from roost.ports import IdempotencyClaim, IdempotencyStore, StoreUnavailable

log = logging.getLogger(__name__)


class Idempotency:
    def __init__(self, store: IdempotencyStore) -> None:
        self._store = store

    async def begin(
        self, user_id: int, key: str, fingerprint: str
    ) -> IdempotencyClaim | StoredResponse | None:
        """A claim (run the request, then ``finish`` or ``abandon`` it), the response to
        replay, or None: the store is unreachable, run the request unprotected."""
        try:
            found = await self._store.claim(user_id, key, fingerprint)
        except StoreUnavailable:
            log.warning("idempotency keys unavailable; running a keyed request unprotected")
            return None
        if isinstance(found, IdempotencyClaim):
            return found
        if found.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different request; use a new key."
            )
        if found.response is None:
            raise IdempotencyKeyInFlight(
                "A request with this Idempotency-Key is still running; retry later."
            )
        return found.response

    async def finish(self, claim: IdempotencyClaim, response: StoredResponse) -> None:
        """Store the response, to be replayed to every retry."""
        try:
            await self._store.complete(claim, response)
        except StoreUnavailable:
            log.warning("idempotency keys unavailable; a response was not stored")

    async def abandon(self, claim: IdempotencyClaim) -> None:
        """Free the key without a response (the request failed on our side): a retry runs."""
        try:
            await self._store.release(claim)
        except StoreUnavailable:
            log.warning("idempotency keys unavailable; a claim is left to its lease")

    async def once(
        self, user_id: int, key: str, fingerprint: str, run: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """``run``'s result, stored under the key; a retry gets the stored result. A failure
        stores nothing."""
        begun = await self.begin(user_id, key, fingerprint)
        if isinstance(begun, StoredResponse):
            return begun.body
        try:
            result = await run()
        except BaseException:
            if begun is not None:
                await self.abandon(begun)
            raise
        if begun is not None:
            await self.finish(begun, StoredResponse(200, (), result))
        return result
