"""POST /graphql for compiled hot queries, in front of the GraphQL HTTP layer.

Through Strawberry's HTTP view the compiled feed query still ran at about 0.45 of the REST
feed over HTTP (wrk, one core): request parsing, dependency injection and JSON encoding of a
generic response cost more than the query itself. This ASGI middleware answers a POST /graphql
whose query text is already compiled (see compiled.py) directly: msgspec decode, the compiled
plan, msgspec encode. Every other request, GET, WebSocket, or query goes on unchanged (the
body it read is handed on as it came).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from roost.bootstrap import Roost
from roost.entrypoints.graphql.schema import Context, RoostSchema
from roost.entrypoints.rest.request_body import read_body, replay_body

MAX_BODY = 64 * 1024


class _Request(msgspec.Struct):
    query: str
    variables: dict[str, Any] | None = None
    operationName: str | None = None


_decode = msgspec.json.Decoder(_Request).decode
_encode = msgspec.json.Encoder().encode


def compiled_queries(
    schema: RoostSchema, roost: Callable[[], Roost], path: str = "/graphql"
) -> Callable[[ASGIApp], ASGIApp]:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            fields: dict[str, Any] = dict(scope)
            if fields["type"] != "http" or fields.get("method") != "POST" or fields["path"] != path:
                await app(scope, receive, send)
                return
            scope["path_template"] = path  # the route, for the request metrics
            body, complete = await read_body(receive, MAX_BODY)
            answered = complete and await _answer(schema, roost(), scope, body, send)
            if not answered:
                await app(scope, replay_body(body, receive), send)

        return handle

    return middleware


async def _answer(schema: RoostSchema, roost: Roost, scope: Scope, body: bytes, send: Send) -> bool:
    try:
        request = _decode(body)
    except msgspec.DecodeError:
        return False
    context = Context(roost=roost, token=_bearer(scope))
    result = await schema.execute_compiled(request.query, request.variables or {}, context)
    if result is None:
        return False
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    content = _encode(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 200,
        "headers": headers,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": content, "more_body": False}
    await send(end)
    return True


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None
