"""Who is calling: the Bearer token of the Authorization header, and nothing else.

Tokens are never read from URLs (they would end up in logs and browser history)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from roost.bootstrap import Roost
from roost.domain.users import User


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    return bearer_in(request.headers.get("authorization", ""))


def bearer_in(authorization: str) -> str | None:
    """The token of an Authorization header value, if it is a Bearer one."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def provide_caller(request: Request[Any, Any, Any], roost: Roost) -> User:
    return await roost.accounts.authenticate(bearer_token(request))
