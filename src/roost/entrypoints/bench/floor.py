"""The floors of `roost bench http`: what the HTTP server and the feed store allow, with no roost
application logic (no framework, no authentication, no service), on the same server as the API.

- ``GET /hello``: a constant body.
- ``GET /bare-feed?user=ID``: the feed store's page for that user (scaled: the one Redis script
  call of a feed read) and its tweets from the tweet cache (the in-process LRU, warm after the
  first reads), spliced as the API splices them. Embedded, the store is SQL: one query.

Run with ``python -m roost.entrypoints.bench.floor --port P`` and the API's environment.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from roost.bootstrap import Roost, build
from roost.domain.ids import MAX_ID
from roost.entrypoints.server import run_server
from roost.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

HELLO = b"Hello, world!"
LIMIT = 50


class FloorApp:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._roost: Roost | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == "/hello":
            await _respond(send, 200, b"text/plain", HELLO)
        elif scope["path"] == "/bare-feed" and self._roost is not None:
            await _respond(send, 200, b"application/json", await self._bare_feed(scope))
        else:
            await _respond(send, 404, b"text/plain", b"not found")

    async def _bare_feed(self, scope: Scope) -> bytes:
        user_id = int(scope["query_string"].partition(b"=")[2])
        assert self._roost is not None
        found = await self._roost.feeds.page(user_id, MAX_ID, LIMIT)
        ids = [entry.tweet_id for entry in found.entries] if found else []
        rendered = await self._roost.hydrator.rendered(ids)
        items = [rendered[i] for i in ids if i in rendered]
        return b'{"items":[' + b",".join(items) + b'],"next_cursor":null}'

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._roost = build(self._settings)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._roost is not None:
                    await self._roost.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def main() -> None:
    parser = argparse.ArgumentParser(description="the floor endpoints of roost bench http")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    run_server(FloorApp(Settings()), "127.0.0.1", args.port)


if __name__ == "__main__":
    main()
