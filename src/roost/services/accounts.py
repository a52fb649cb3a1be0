"""Accounts: sign up, log in and out, and who is calling."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from roost.domain import events
from roost.domain.errors import InvalidCredentials, NotFound, RateLimited, Unauthorized
from roost.domain.ids import IdGenerator
from roost.domain.users import (
    User,
    could_be_handle,
    handle_key,
    validate_display_name,
    validate_handle,
    validate_password,
)
from roost.ports import Clock, PasswordHasher, RateLimiter, UnitOfWorkFactory
from roost.services.analytics import Usage
from roost.services.sessions import Session, SessionCache

TOKEN_BYTES = 32  # 256 random bits
ACTIVITY_PRECISION = timedelta(hours=1)


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

    async def log_in(self, handle: str, password: str) -> tuple[str, User]:
        """A new session token for the user, and the user."""
        if not could_be_handle(handle):
            raise InvalidCredentials("That handle and password do not match.")
        await self._limit_login_attempts(handle)
        async with self._uow(read_only=True) as uow:
            found = await uow.users.credentials(handle)
        if found is None or not await self._passwords.verify(found[1], password):
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
        return (await self.session(token)).user

    async def session(self, token: str | None) -> Session:
        """The live session of a bearer token (``authenticate`` with the token's digest and
        expiry, which a live stream needs to end with it)."""
        if not token:
            raise Unauthorized("Send a session token: Authorization: Bearer <token>.")
        digest = token_digest(token)
        now = self._clock.now()
        session = self._sessions.get(digest)
        if session is not None and session.expires_at > now:
            self._usage.active(session.user.id)
            return session
        async with self._uow(read_only=True) as uow:
            owner = await uow.tokens.owner(digest, now)
            user = await uow.users.get(owner[0]) if owner is not None else None
        if owner is None or user is None:
            raise Unauthorized("This session token is unknown, expired or revoked.")
        await self._note_activity(user)
        session = Session(user, digest, owner[1])
        self._sessions.put(session)
        self._usage.active(user.id)
        return session

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

    async def _limit_login_attempts(self, handle: str) -> None:
        """Checked before the password, so guessing gains nothing once the limit is reached."""
        retry_after = await self._rate_limiter.hit(
            f"login:{handle_key(handle)}", self._logins_per_minute, 60
        )
        if retry_after:
            raise RateLimited("Too many login attempts for this handle; wait.", retry_after)
