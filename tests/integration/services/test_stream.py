"""A live stream lives no longer than its token: it ends when the token is revoked or expires,
and a dead token opens none. In every mode (scaled: the revocation travels over Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from roost.adapters.clock import SystemClock
from roost.adapters.local.signals import LocalSignals
from roost.bootstrap import Roost
from roost.domain.errors import Unauthorized
from roost.domain.users import User
from roost.services.accounts import token_digest
from roost.services.live import LiveUpdates
from roost.services.sessions import SESSION_TOPIC, Session
from tests.integration.support import live_session, until

MakeUser = Callable[[str], Awaitable[User]]


async def _short_lived(roost: Roost, user: User, seconds: float) -> tuple[str, Session]:
    """A token of ``user`` that expires ``seconds`` from now, and its session."""
    token = f"short-lived-{user.id}"
    now = datetime.now(UTC)
    async with roost.uow() as uow:
        await uow.tokens.add(token_digest(token), user.id, now, now + timedelta(seconds=seconds))
        await uow.commit()
    return token, await roost.accounts.session(token)


async def test_a_stream_ends_when_its_token_is_revoked(roost: Roost, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    token, _ = await roost.accounts.log_in("alice", "correct horse")
    doomed = roost.stream.events(await roost.accounts.session(token), None)
    kept = roost.stream.events(await live_session(roost, alice), None)
    ending = asyncio.ensure_future(anext(doomed))
    staying = asyncio.ensure_future(anext(kept))
    try:
        await until(lambda: roost.live.connected == 2)
        assert roost.live.connected == 2
        await roost.accounts.log_out(token)
        with pytest.raises(Unauthorized):
            await asyncio.wait_for(ending, 3)
        assert roost.live.connected == 1  # the other session of the same user goes on
        assert not staying.done()
    finally:
        staying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await staying
    with pytest.raises(Unauthorized):
        await roost.accounts.session(token)


async def test_a_stream_ends_when_its_token_expires(roost: Roost, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    token, session = await _short_lived(roost, alice, 1.0)
    started = time.monotonic()
    with pytest.raises(Unauthorized, match="expired"):
        async for _ in roost.stream.events(session, None):
            pass
    assert 0.5 < time.monotonic() - started < 3.0
    assert roost.live.connected == 0
    # the process still remembers the token (ROOST_SESSION_CACHE_SECONDS), yet refuses it
    with pytest.raises(Unauthorized):
        await roost.accounts.session(token)


async def test_sessions_are_checked_again_when_revocations_may_have_been_missed(
    roost: Roost, make_user: MakeUser
) -> None:
    """A "" signal (Redis pub/sub reconnected): tokens revoked meanwhile end their sessions."""
    alice = await make_user("alice")
    signals = LocalSignals()
    live = LiveUpdates(signals, roost.uow, SystemClock())
    revoked = await live.open(await live_session(roost, alice))
    valid = await live.open(await live_session(roost, alice))
    async with roost.uow() as uow:
        await uow.tokens.revoke(revoked.token_digest)  # in the store only: the signal was lost
        await uow.commit()
    signals.deliver(SESSION_TOPIC, "")
    assert await revoked.next(3.0) == ("revoked", 0)
    assert await valid.next(0.3) is None
    assert not valid.revoked
