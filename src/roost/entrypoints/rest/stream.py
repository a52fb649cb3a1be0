"""GET /stream: the caller's live notifications and home-feed entries as Server-Sent Events.

Notifications carry their id as the SSE id, so a client that reconnects with Last-Event-ID gets
what it missed; feed entries carry none (they are in the feed). A comment every
ROOST_LIVE_POLL_SECONDS keeps proxies from closing an idle connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage

from roost.bootstrap import Roost
from roost.domain.users import User


@get("/stream", tags=["notifications"], summary="Live notifications and feed entries (SSE)")
async def live_stream(
    roost: Roost, caller: User, request: Request[Any, Any, Any]
) -> ServerSentEvent:
    last_event_id = request.headers.get("last-event-id")
    roost.stream.admit(caller)
    return ServerSentEvent(
        _messages(roost, caller, last_event_id), headers={"Cache-Control": "no-store"}
    )


async def _messages(
    roost: Roost, caller: User, last_event_id: str | None
) -> AsyncIterator[ServerSentEventMessage]:
    async for event in roost.stream.events(caller, last_event_id):
        if event.kind == "heartbeat":
            yield ServerSentEventMessage(data=None, comment="keep-alive")
        else:
            yield ServerSentEventMessage(data=event.data.decode(), event=event.kind, id=event.id)
