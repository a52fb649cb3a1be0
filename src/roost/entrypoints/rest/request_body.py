"""A request body read ahead of the framework by an ASGI layer, and handed on as it came."""

from __future__ import annotations

from litestar.types import HTTPRequestEvent, Receive, ReceiveMessage


async def read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, and whether it was read whole within ``limit`` bytes (else the app decides)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), size <= limit
        if size > limit:
            return b"".join(chunks), False


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read so far first, then whatever else comes."""
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            whole: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
            return whole
        return await receive()

    return replay
