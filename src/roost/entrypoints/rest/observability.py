"""Per request: an id (the caller's X-Request-ID when it is sane, else a new one) that every
log line of the request carries and the response returns; the request counted and timed by
route template and status (Prometheus), and counted for the QPS history (analytics).

Raw ASGI and a few microseconds a request: it runs on every call of the hot paths."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from time import perf_counter

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from roost.bootstrap import Roost
from roost.entrypoints.logs import REQUEST_ID

_SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_HEADER = b"x-request-id"


class _RequestIds:
    """New request ids: this process's random half and a count, 32 hex digits. Unique across
    processes (a forked child draws its own half) without a system call for randomness each
    request (urandom was 1-2% of a feed read)."""

    def __init__(self) -> None:
        self.restart()
        os.register_at_fork(after_in_child=self.restart)

    def restart(self) -> None:
        self._process = os.urandom(8).hex().encode()
        self._count = itertools.count()

    def new(self) -> bytes:
        return b"%s%016x" % (self._process, next(self._count))


_new_id = _RequestIds().new


def observed(roost: Callable[[], Roost]) -> Callable[[ASGIApp], ASGIApp]:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            request_id = _incoming_id(scope) or _new_id()
            token = REQUEST_ID.set(request_id.decode())
            started = perf_counter()
            status = 500

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", ()), (_HEADER, request_id)]
                await send(message)

            try:
                await app(scope, receive, send_with_id)
            finally:
                wired = roost()
                route = scope.get("path_template") or "unmatched"
                wired.operations.request(
                    scope.get("method", "GET"), route, status, perf_counter() - started
                )
                wired.usage.request()
                REQUEST_ID.reset(token)

        return handle

    return middleware


def _incoming_id(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == _HEADER:
            return value if _SANE_ID.fullmatch(value) else None
    return None
