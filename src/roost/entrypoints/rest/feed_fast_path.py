"""GET /feed answered in front of the framework: the hot read path.

Through Litestar the feed spent about as much CPU in routing, dependency resolution and the
response machinery as in roost's own work (py-spy, `roost bench http`). This ASGI layer, outside
the framework, answers the ordinary request: a Bearer token and ``limit``/``cursor`` in their
plain form. It calls the same services as feed.py (authenticate, then the HomeFeed page) and
sends the same spliced body with the same headers. Anything else (no token, odd query strings,
any error) goes on to the framework unchanged, which answers it as always: errors keep their one
mapping (errors.py), and a failed request is simply asked again there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from roost.bootstrap import Roost
from roost.entrypoints.rest.splice import page_body
from roost.services.pages import DEFAULT_LIMIT

PATH = "/feed"
_HEADERS = [(b"content-type", b"application/json")]


def fast_feed(app: ASGIApp, roost: Callable[[], Roost]) -> ASGIApp:
    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        fields: dict[str, Any] = scope  # type: ignore[assignment]
        if fields["type"] == "http" and fields["path"] == PATH and fields["method"] == "GET":
            fields["path_template"] = PATH  # the route, for the request metrics
            query = _plain_query(fields["query_string"])
            token = _bearer(fields["headers"])
            if (
                query is not None
                and token is not None
                and await _answer(roost(), token, *query, send)
            ):
                return
        await app(scope, receive, send)

    return handle


async def _answer(roost: Roost, token: str, limit: int, cursor: str | None, send: Send) -> bool:
    try:
        caller = await roost.accounts.authenticate(token)
        page = await roost.home_feed.page(caller, cursor, limit)
    except Exception:  # the framework answers it, through its one error mapping
        return False
    body = page_body(page)
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 200,
        "headers": [*_HEADERS, (b"content-length", b"%d" % len(body))],
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
    return True


def _plain_query(raw: bytes) -> tuple[int, str | None] | None:
    """(limit, cursor) when the query string is nothing but a decimal ``limit`` and an
    unescaped ``cursor``, each at most once; else None (the framework parses it)."""
    limit, cursor = DEFAULT_LIMIT, None
    seen: set[bytes] = set()
    for part in raw.split(b"&") if raw else ():
        name, equals, value = part.partition(b"=")
        if not equals or not value or name in seen or b"%" in value or b"+" in value:
            return None
        seen.add(name)
        if name == b"limit" and value.isdigit() and len(value) <= 3:
            limit = int(value)
        elif name == b"cursor":
            cursor = value.decode("ascii", "replace")
        else:
            return None
    return limit, cursor


def _bearer(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None
