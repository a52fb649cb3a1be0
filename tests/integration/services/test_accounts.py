"""Accounts on real storage: handles, passwords, tokens kept only as hashes, revocation."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from sqlalchemy import select

from roost.adapters.sql.tables import auth_tokens, users
from roost.bootstrap import Roost
from roost.domain.errors import HandleTaken, InvalidCredentials, RateLimited, Unauthorized


async def test_handles_are_unique_ignoring_case(roost: Roost) -> None:
    await roost.accounts.register("Alice", "correct horse", "Alice A.")
    with pytest.raises(HandleTaken):
        await roost.accounts.register("aLiCe", "correct horse", None)
    assert (await roost.accounts.by_handle("ALICE")).display_name == "Alice A."


async def test_only_hashes_of_tokens_and_passwords_are_stored(roost: Roost) -> None:
    await roost.accounts.register("alice", "correct horse", None)
    token, user = await roost.accounts.log_in("alice", "correct horse")
    assert len(token) >= 43  # 256 bits in URL-safe base64
    async with roost.engines.reader.connect() as conn:
        stored_tokens = (await conn.execute(select(auth_tokens.c.token_hash))).scalars().all()
        password_hash = (await conn.execute(select(users.c.password_hash))).scalar_one()
    assert stored_tokens == [hashlib.sha256(token.encode()).hexdigest()]
    assert "correct horse" not in password_hash
    assert password_hash.startswith("$argon2id$")
    assert (await roost.accounts.authenticate(token)).id == user.id


async def test_logging_out_revokes_the_token(roost: Roost) -> None:
    await roost.accounts.register("alice", "correct horse", None)
    token, _ = await roost.accounts.log_in("alice", "correct horse")
    other, _ = await roost.accounts.log_in("alice", "correct horse")
    await roost.accounts.log_out(token)
    with pytest.raises(Unauthorized):
        await roost.accounts.authenticate(token)
    assert (await roost.accounts.authenticate(other)).handle == "alice"


async def test_wrong_passwords_and_unknown_handles_look_the_same(roost: Roost) -> None:
    await roost.accounts.register("alice", "correct horse", None)
    with pytest.raises(InvalidCredentials) as wrong:
        await roost.accounts.log_in("alice", "wrong horse")
    with pytest.raises(InvalidCredentials) as unknown:
        await roost.accounts.log_in("nobody", "correct horse")
    assert wrong.value.message == unknown.value.message
    for token in (None, "", "garbage"):
        with pytest.raises(Unauthorized):
            await roost.accounts.authenticate(token)


async def test_login_attempts_are_limited_per_handle(roost: Roost) -> None:
    await roost.accounts.register("alice", "correct horse", None)
    for _ in range(roost.settings.rate_limit_logins_per_minute):
        with pytest.raises(InvalidCredentials):
            await roost.accounts.log_in("alice", "guess")
    with pytest.raises(RateLimited) as limited:
        await roost.accounts.log_in("ALICE", "correct horse")
    assert 1 <= limited.value.retry_after_seconds <= 60


async def test_users_following_each_other_at_once_do_not_deadlock(roost: Roost) -> None:
    pairs = [
        (
            await roost.accounts.register(f"aa{n}", "correct horse", None),
            await roost.accounts.register(f"bb{n}", "correct horse", None),
        )
        for n in range(10)
    ]
    await asyncio.gather(
        *(roost.follows.follow(a, b.handle) for a, b in pairs),
        *(roost.follows.follow(b, a.handle) for a, b in pairs),
    )
    for a, b in pairs:
        assert (await roost.accounts.by_handle(a.handle)).followers_count == 1
        assert (await roost.accounts.by_handle(b.handle)).following_count == 1
