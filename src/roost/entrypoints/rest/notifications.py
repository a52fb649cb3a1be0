from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.openapi import ResponseSpec

from roost.bootstrap import Roost
from roost.domain.errors import InvalidInput
from roost.domain.users import User
from roost.entrypoints.rest.ids import body_id
from roost.entrypoints.rest.schemas import NotificationPage, ReadMark, TweetPage, UnreadCount
from roost.entrypoints.rest.splice import page_response
from roost.services.pages import DEFAULT_LIMIT

_MENTIONS = {200: ResponseSpec(data_container=TweetPage, description="Newest first")}
_NOTIFICATIONS = {
    200: ResponseSpec(
        data_container=NotificationPage,
        description="Notifications (or with grouped=true, groups of them), newest first",
    )
}


class NotificationsController(Controller):
    tags = ["notifications"]

    @get("/notifications", summary="Your notifications, newest first", responses=_NOTIFICATIONS)
    async def notifications(
        self,
        roost: Roost,
        caller: User,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        grouped: bool = False,
    ) -> Response[bytes]:
        page = await roost.notifications.page(caller, cursor, limit, grouped=grouped)
        return page_response(page)

    @get("/notifications/unread_count", summary="How many notifications you have not read")
    async def unread_count(self, roost: Roost, caller: User) -> UnreadCount:
        return UnreadCount(await roost.notifications.unread_count(caller))

    @post("/notifications/read", status_code=204, summary="Mark notifications read")
    async def mark_read(self, data: ReadMark, roost: Roost, caller: User) -> None:
        up_to = body_id(data.up_to, "up_to")
        if up_to is None:
            raise InvalidInput("up_to must be a notification id.")
        await roost.notifications.mark_read(caller, up_to)

    @get("/mentions", summary="Posts that mention you, newest first", responses=_MENTIONS)
    async def mentions(
        self, roost: Roost, caller: User, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Response[bytes]:
        return page_response(await roost.timelines.mentions(caller, cursor, limit))
