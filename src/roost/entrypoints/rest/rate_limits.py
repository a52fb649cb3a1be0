"""Every HTTP request spends its route class's budget, per client IP and per session token.

Raw ASGI in front of the fast paths (GET /feed, compiled GraphQL) and the framework, so all
of them are limited and carry the RateLimit-* headers; a refusal is answered here, as 429
with Retry-After. The client's address is left in the scope for the handlers (CLIENT_IP).
In scaled mode the buckets are reserved from Redis in chunks (adapters/local/
reserving_rate_limiter.py), so a feed read rarely pays a round trip for its limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
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
from roost.domain.rate_limits import Quota
from roost.entrypoints.rest.auth import bearer_in
from roost.entrypoints.rest.client_ip import Network, client_ip
from roost.entrypoints.rest.errors import error_body, quota_headers
from roost.entrypoints.rest.route_classes import classify

CLIENT_IP = "roost.client_ip"
_LIMIT_HEADER = b"ratelimit-limit"
_REFUSAL = "Too many requests of this kind; wait."


def rate_limited(
    roost: Callable[[], Roost], trusted_proxies: Sequence[Network]
) -> Callable[[ASGIApp], ASGIApp]:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            wired = roost()
            fields: dict[str, Any] = scope  # type: ignore[assignment]
            fields[CLIENT_IP] = address = client_ip(scope, trusted_proxies)
            route_class = classify(fields["method"], fields["path"])
            if route_class is None:
                await app(scope, receive, send)
                return
            quota = await wired.request_limits.check(route_class, _bearer(scope), address)
            if not quota.allowed:
                await _refuse(quota, send)
                return
            headers = _encoded(quota)

            async def send_with_quota(message: Message) -> None:
                if message["type"] == "http.response.start":
                    sent = list(message.get("headers", ()))
                    if not any(name.lower() == _LIMIT_HEADER for name, _ in sent):
                        message["headers"] = [*sent, *headers]
                await send(message)

            await app(scope, receive, send_with_quota)

        return handle

    return middleware


def request_client_ip(request: Request[Any, Any, Any]) -> str:
    """The client's address, as the rate limits saw it."""
    address: str = request.scope[CLIENT_IP]  # type: ignore[literal-required]
    return address


async def _refuse(quota: Quota, send: Send) -> None:
    body = error_body("rate_limited", _REFUSAL)
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 429,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            *_encoded(quota),
        ],
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


def _encoded(quota: Quota) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in quota_headers(quota).items()]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bearer_in(value.decode("latin-1"))
    return None
