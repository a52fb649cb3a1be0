"""Accounts: sign up, log in and out, and who is calling."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta

from roost.domain import events
from roost.domain.errors import InvalidCredentials, NotFound, RateLimited, Unauthorized
from roost.domain.ids import IdGenerator
from roost.domain.rate_limits import tightest
from roost.domain.users import (
    User,
    could_be_handle,
    handle_key,
    validate_display_name,
    validate_handle,
    validate_password,
)
from roost.ports import Clock, Hit, PasswordHasher, RateLimiter, UnitOfWorkFactory
from roost.services.analytics import Usage
from roost.services.sessions import SessionCache

TOKEN_BYTES = 32  # 256 random bits
ACTIVITY_PRECISION = timedelta(hours=1)
IN_PROCESS = "in-process"  # the client address of calls from this process (CLI, benchmarks)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        passwords: PasswordHasher,
        rate_limiter: RateLimiter,
        sessions: SessionCache,
        ids: IdGenerator,
        clock: Clock,
        usage: Usage,
        *,
        token_ttl: timedelta,
        logins_per_minute: int,
        logins_per_handle_per_minute: int,
    ) -> None:
        self._uow = uow
        self._passwords = passwords
        self._rate_limiter = rate_limiter
        self._sessions = sessions
        self._ids = ids
        self._clock = clock
        self._usage = usage
        self._token_ttl = token_ttl
        self._logins_per_minute = logins_per_minute
        self._logins_per_handle_per_minute = logins_per_handle_per_minute
        self._unknown_user_hash: asyncio.Future[str] | None = None

    async def register(self, handle: str, password: str, display_name: str | None) -> User:
        handle = validate_handle(handle)
        name = validate_display_name(display_name, handle)
        validate_password(password)
        password_hash = await self._passwords.hash(password)
        now = self._clock.now()
        user = User(self._ids.next_id(), handle, name, 0, 0, now, last_seen_at=now)
        async with self._uow() as uow:
            await uow.users.add(user, password_hash)
            uow.outbox.add(events.user_created(user.id))
            await uow.commit()
        return user

    async def log_in(
        self, handle: str, password: str, client_ip: str = IN_PROCESS
    ) -> tuple[str, User]:
        """A new session token for the user, and the user. ``client_ip`` is the caller's
        address: guesses from one address do not lock the owner out at another."""
        if not could_be_handle(handle):
            raise InvalidCredentials("That handle and password do not match.")
        await self._limit_login_attempts(handle, client_ip)
        async with self._uow(read_only=True) as uow:
            found = await uow.users.credentials(handle)
        if found is None:
            await self._passwords.verify(await self._unknown_user_password_hash(), password)
            raise InvalidCredentials("That handle and password do not match.")
        if not await self._passwords.verify(found[1], password):
            raise InvalidCredentials("That handle and password do not match.")
        user = found[0]
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.tokens.add(token_digest(token), user.id, now, now + self._token_ttl)
            await uow.commit()
        return token, user

    async def log_out(self, token: str) -> None:
        digest = token_digest(token)
        async with self._uow() as uow:
            await uow.tokens.revoke(digest)
            await uow.commit()
        await self._sessions.revoke(digest)

    async def authenticate(self, token: str | None) -> User:
        """The user a bearer token belongs to; Unauthorized for a missing, unknown or dead one."""
        if not token:
            raise Unauthorized("Send a session token: Authorization: Bearer <token>.")
        digest = token_digest(token)
        user = self._sessions.get(digest)
        if user is not None:
            self._usage.active(user.id)
            return user
        async with self._uow(read_only=True) as uow:
            user_id = await uow.tokens.user_id_for(digest, self._clock.now())
            user = await uow.users.get(user_id) if user_id is not None else None
        if user is None:
            raise Unauthorized("This session token is unknown, expired or revoked.")
        await self._note_activity(user)
        self._sessions.put(digest, user)
        self._usage.active(user.id)
        return user

    async def _note_activity(self, user: User) -> None:
        """Keep last_seen_at roughly current (fanout skips inactive users): at most one write
        per user per ACTIVITY_PRECISION, and only when the token is checked in SQL."""
        now = self._clock.now()
        if user.last_seen_at is None or now - user.last_seen_at > ACTIVITY_PRECISION:
            async with self._uow() as uow:
                await uow.users.touch(user.id, now)
                await uow.commit()

    async def by_handle(self, handle: str) -> User:
        if not could_be_handle(handle):
            raise NotFound(f"No user has the handle {handle!r}.")
        async with self._uow(read_only=True) as uow:
            user = await uow.users.by_handle(handle)
        if user is None:
            raise NotFound(f"No user has the handle {handle!r}.")
        return user

    async def _limit_login_attempts(self, handle: str, client_ip: str) -> None:
        """Checked before the password, so guessing gains nothing once the limit is reached:
        per handle from one address, and a high ceiling per handle from all addresses."""
        key = handle_key(handle)
        quotas = await self._rate_limiter.hit_many(
            [
                Hit(f"login:{key}:{client_ip}", self._logins_per_minute, 60),
                Hit(f"login:{key}", self._logins_per_handle_per_minute, 60),
            ]
        )
        quota = tightest(quotas)
        if not quota.allowed:
            raise RateLimited("Too many login attempts for this handle; wait.", quota)

    async def _unknown_user_password_hash(self) -> str:
        """The hash an unknown handle's password is checked against, so that logging in as
        nobody takes as long as a wrong password. Made once per process, on first need."""
        if self._unknown_user_hash is None:
            dummy = secrets.token_urlsafe(16)
            self._unknown_user_hash = asyncio.ensure_future(self._passwords.hash(dummy))
        return await self._unknown_user_hash
