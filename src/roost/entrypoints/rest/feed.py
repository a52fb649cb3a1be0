from __future__ import annotations

from litestar import Response, get
from litestar.openapi import ResponseSpec

from roost.bootstrap import Roost
from roost.domain.users import User
from roost.entrypoints.rest.schemas import TweetPage
from roost.entrypoints.rest.splice import page_response
from roost.services.pages import DEFAULT_LIMIT


@get(
    "/feed",
    tags=["feed"],
    summary="Your home feed, newest first",
    responses={200: ResponseSpec(data_container=TweetPage, description="A page of the feed")},
)
async def home_feed(
    roost: Roost, caller: User, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> Response[bytes]:
    return page_response(await roost.home_feed.page(caller, cursor, limit))
