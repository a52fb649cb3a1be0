"""The Idempotency-Key ASGI layer around a stub app: what is stored, what runs again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import msgspec
from litestar.types import Message, Receive, Scope, Send

from roost.bootstrap import Roost
from roost.domain.errors import Unauthorized
from roost.entrypoints.rest.idempotency import idempotent
from roost.services.idempotency import Idempotency
from tests.unit.services.test_idempotency import MemoryStore

TOKEN = "secret"


@dataclass
class _Caller:
    id: int


class _Accounts:
    async def authenticate(self, token: str | None) -> _Caller:
        if token != TOKEN:
            raise Unauthorized("Log in first.")
        return _Caller(1)


@dataclass
class _Roost:
    accounts: _Accounts = field(default_factory=_Accounts)
    idempotency: Idempotency = field(default_factory=lambda: Idempotency(MemoryStore()))


@dataclass
class _App:
    """Answers each request with the next status of ``statuses``; records the bodies read."""

    statuses: list[int]
    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        self.bodies.append(message.get("body", b""))
        status = self.statuses[len(self.bodies) - 1]
        headers = [(b"content-type", b"application/json"), (b"x-other", b"dropped")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        body = b'{"n": %d}' % len(self.bodies)
        await send({"type": "http.response.body", "body": body, "more_body": False})


async def _call(
    app: Any,
    path: str = "/tweet",
    key: bytes | None = b"k",
    token: str = TOKEN,
    body: bytes = b"{}",
) -> tuple[int, dict[bytes, bytes], bytes]:
    headers = [(b"authorization", f"Bearer {token}".encode())]
    if key is not None:
        headers.append((b"idempotency-key", key))
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": headers,
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return (
        sent[0]["status"],
        dict(sent[0]["headers"]),
        b"".join(m.get("body", b"") for m in sent[1:]),
    )


def _layer(app: _App) -> Any:
    roost = _Roost()
    return idempotent(app, lambda: cast(Roost, roost))  # type: ignore[arg-type]


async def test_the_first_answer_goes_out_whole_and_a_retry_gets_its_status_type_and_body() -> None:
    app = _App([201, 201])
    layer = _layer(app)
    status, headers, body = await _call(layer)
    assert (status, body) == (201, b'{"n": 1}')
    assert headers[b"x-other"] == b"dropped"
    assert b"idempotent-replayed" not in headers
    replay = await _call(layer)
    assert replay == (
        201,
        {
            b"content-type": b"application/json",
            b"content-length": b"8",
            b"idempotent-replayed": b"true",
        },
        b'{"n": 1}',
    )
    assert len(app.bodies) == 1


async def test_server_errors_and_rate_limits_are_not_stored_so_a_retry_runs() -> None:
    app = _App([500, 429, 201, 201])
    layer = _layer(app)
    assert [(await _call(layer))[0] for _ in range(4)] == [500, 429, 201, 201]
    assert len(app.bodies) == 3


async def test_the_body_reaches_the_app_and_is_part_of_the_fingerprint() -> None:
    app = _App([201, 201])
    layer = _layer(app)
    await _call(layer, body=b'{"content": "a"}')
    status, _, body = await _call(layer, body=b'{"content": "b"}')
    assert status == 422
    assert msgspec.json.decode(body)["error"]["code"] == "idempotency_key_reused"
    assert app.bodies == [b'{"content": "a"}']


async def test_graphql_gets_graphql_shaped_errors() -> None:
    layer = _layer(_App([200]))
    await _call(layer, path="/graphql", body=b'{"query": "mutation { a }"}')
    status, _, body = await _call(layer, path="/graphql", body=b'{"query": "mutation { b }"}')
    assert status == 422
    assert msgspec.json.decode(body) == {
        "data": None,
        "errors": [
            {
                "message": msgspec.json.decode(body)["errors"][0]["message"],
                "extensions": {"code": "IDEMPOTENCY_KEY_REUSED"},
            }
        ],
    }


async def test_without_key_token_or_on_sessions_the_app_answers_every_time() -> None:
    app = _App([201] * 6)
    layer = _layer(app)
    for _ in range(2):
        await _call(layer, key=None)
        await _call(layer, token="wrong")
        await _call(layer, path="/sessions")
    assert len(app.bodies) == 6


async def test_a_malformed_key_is_refused_before_the_app_runs() -> None:
    app = _App([201])
    status, _, body = await _call(_layer(app), key=b"\x00")
    assert status == 422
    assert msgspec.json.decode(body)["error"]["code"] == "invalid_request"
    assert app.bodies == []
