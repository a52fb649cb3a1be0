"""Which user a token belongs to, remembered for a few seconds per process.

Every authenticated request needs this, so the hot path keeps it out of SQL. A logout is
announced to every process (Signals), which forgets the token at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from roost.domain.users import User
from roost.ports import Signals

SESSION_TOPIC = "session"  # "<token digest>": the token was revoked
_MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class Session:
    """A live token: whose it is, its digest (what revocations name) and when it expires."""

    user: User
    token_digest: str
    expires_at: datetime


class SessionCache:
    def __init__(
        self, signals: Signals, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._signals = signals
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[Session, float]] = {}
        signals.subscribe(SESSION_TOPIC, self._forget)

    def get(self, token_digest: str) -> Session | None:
        entry = self._entries.get(token_digest)
        if entry is None or entry[1] < self._clock():
            return None
        return entry[0]

    def put(self, session: Session) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[session.token_digest] = (session, self._clock() + self._ttl)

    async def revoke(self, token_digest: str) -> None:
        """Forget a token here and in every other process."""
        self._forget(token_digest)
        await self._signals.publish(SESSION_TOPIC, token_digest)

    def _forget(self, token_digest: str) -> None:
        if token_digest:
            self._entries.pop(token_digest, None)
        else:
            self._entries.clear()
