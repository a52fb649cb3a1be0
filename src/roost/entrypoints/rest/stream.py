"""GET /stream: the caller's live notifications and home-feed entries as Server-Sent Events.

Notifications carry their id as the SSE id, so a client that reconnects with Last-Event-ID gets
what it missed; feed entries carry none (they are in the feed). A comment every
ROOST_LIVE_POLL_SECONDS keeps proxies from closing an idle connection. When the token is revoked
or expires, a last ``event: error`` carries the usual error body (code ``unauthorized``) and the
stream ends; reconnecting with the same token is refused with 401.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage

from roost.bootstrap import Roost
from roost.domain.errors import Unauthorized
from roost.entrypoints.rest.auth import bearer_token
from roost.entrypoints.rest.errors import ErrorBody, ErrorDetail
from roost.services.sessions import Session


@get("/stream", tags=["notifications"], summary="Live notifications and feed entries (SSE)")
async def live_stream(roost: Roost, request: Request[Any, Any, Any]) -> ServerSentEvent:
    session = await roost.accounts.session(bearer_token(request))
    last_event_id = request.headers.get("last-event-id")
    roost.stream.admit(session.user)
    return ServerSentEvent(
        _messages(roost, session, last_event_id), headers={"Cache-Control": "no-store"}
    )


async def _messages(
    roost: Roost, session: Session, last_event_id: str | None
) -> AsyncIterator[ServerSentEventMessage]:
    try:
        async for event in roost.stream.events(session, last_event_id):
            if event.kind == "heartbeat":
                yield ServerSentEventMessage(data=None, comment="keep-alive")
            else:
                yield ServerSentEventMessage(
                    data=event.data.decode(), event=event.kind, id=event.id
                )
    except Unauthorized as ended:
        body = ErrorBody(ErrorDetail(ended.code, ended.message))
        yield ServerSentEventMessage(data=msgspec.json.encode(body).decode(), event="error")
