"""Idempotency-Key on POST: the first response to a keyed request is stored and replayed.

Raw ASGI, in front of the framework (and of the hot paths behind it). A POST with an
``Idempotency-Key`` header from an authenticated caller (keys are per user) is fingerprinted
(method, path, query, body), claimed, run, and its response stored before it is sent, so a
client never sees an answer that a retry could miss. A retry of the same request gets the
stored response with ``Idempotent-Replayed: true``; the same key for another request is 422
``idempotency_key_reused``; a retry while the first still runs is 409
``idempotency_key_in_flight``. 5xx, 408 and 429 answers are not stored (the claim is released,
so a retry runs). On POST /graphql the header covers the whole document, and errors are
GraphQL-shaped.

Not keyed: POST /sessions (its answer carries a session token, which roost never stores in
clear: the header is ignored there) and requests without a valid Bearer token, such as
sign-up (no user to key by: the header is ignored and the app answers as always). Requests
without the header cost a method test, and for a POST a scan of the headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from roost.bootstrap import Roost
from roost.domain.errors import DomainError, InvalidInput
from roost.domain.idempotency import StoredResponse, fingerprint, validate_key
from roost.entrypoints.rest.auth import bearer_in
from roost.entrypoints.rest.errors import status_of
from roost.entrypoints.rest.request_body import read_body, replay_body
from roost.ports import IdempotencyClaim

HEADER = b"idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
MAX_BODY_BYTES = 64 * 1024  # the app's own limit: a larger body is the app's 413
GRAPHQL_PATH = "/graphql"
UNKEYED_PATHS = frozenset({"/sessions"})
KEY_PREFIX = "h:"  # header keys; GraphQL's idempotencyKey arguments have their own
_KEPT_HEADERS = frozenset({b"content-type", b"location"})
_NOT_STORED = frozenset({408, 429})

_encode = msgspec.json.Encoder().encode


def idempotent(app: ASGIApp, roost: Callable[[], Roost]) -> ASGIApp:
    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        fields: dict[str, Any] = scope  # type: ignore[assignment]
        if fields["type"] == "http" and fields["method"] == "POST":
            raw = _header(fields["headers"])
            if raw is not None and fields["path"] not in UNKEYED_PATHS:
                await _keyed(app, roost(), scope, raw, receive, send)
                return
        await app(scope, receive, send)

    return handle


async def _keyed(
    app: ASGIApp, roost: Roost, scope: Scope, raw: bytes, receive: Receive, send: Send
) -> None:
    graphql = scope["path"] == GRAPHQL_PATH
    try:
        key = validate_key(raw.decode("latin-1"))
    except InvalidInput as error:
        await _send(send, _error(error, graphql))
        return
    try:
        caller = await roost.accounts.authenticate(bearer_in(_authorization(scope)))
    except DomainError:  # no user to key by: the app answers as always
        await app(scope, receive, send)
        return
    body, complete = await read_body(receive, MAX_BODY_BYTES)
    receive = replay_body(body, receive)
    if not complete:
        await app(scope, receive, send)
        return
    asked = fingerprint(b"POST", scope["path"].encode(), scope["query_string"], body)
    try:
        begun = await roost.idempotency.begin(caller.id, KEY_PREFIX + key, asked)
    except DomainError as error:
        await _send(send, _error(error, graphql))
        return
    if isinstance(begun, StoredResponse):
        await _send(send, begun, replayed=True)
    elif begun is None:
        await app(scope, receive, send)
    else:
        await _run(app, roost, begun, scope, receive, send)


async def _run(
    app: ASGIApp,
    roost: Roost,
    claim: IdempotencyClaim,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Run the app, and send its response as it made it once it is stored."""
    messages: list[Message] = []

    async def hold(message: Message) -> None:
        messages.append(message)

    try:
        await app(scope, receive, hold)
    except BaseException:
        await roost.idempotency.abandon(claim)
        raise
    response = _response(messages)
    if response.status >= 500 or response.status in _NOT_STORED:
        await roost.idempotency.abandon(claim)
    else:
        await roost.idempotency.finish(claim, response)
    for message in messages:
        await send(message)


def _response(messages: list[Message]) -> StoredResponse:
    status, chunks = 500, []
    headers: tuple[tuple[str, str], ...] = ()
    for message in messages:
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", ())
                if name.lower() in _KEPT_HEADERS
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
    return StoredResponse(status, headers, b"".join(chunks))


async def _send(send: Send, response: StoredResponse, *, replayed: bool = False) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers.append((b"content-length", b"%d" % len(response.body)))
    if replayed:
        headers.append(REPLAYED)
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": response.status,
        "headers": headers,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {
        "type": "http.response.body",
        "body": response.body,
        "more_body": False,
    }
    await send(end)


def _error(error: DomainError, graphql: bool) -> StoredResponse:
    if graphql:
        extensions = {"code": error.code.upper()}
        body = _encode(
            {"data": None, "errors": [{"message": error.message, "extensions": extensions}]}
        )
    else:
        body = _encode({"error": {"code": error.code, "message": error.message}})
    return StoredResponse(status_of(error), (("content-type", "application/json"),), body)


def _header(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == HEADER:
            return value
    return None


def _authorization(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    return ""
