from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.openapi import ResponseSpec

from roost.bootstrap import Roost
from roost.domain.users import User
from roost.entrypoints.rest.schemas import NewUser, TweetPage, UserPage
from roost.entrypoints.rest.splice import page_response
from roost.services.pages import DEFAULT_LIMIT
from roost.services.views import UserView, user_view

_TWEET_PAGE = {200: ResponseSpec(data_container=TweetPage, description="Tweets, newest first")}


class UsersController(Controller):
    path = "/users"
    tags = ["users"]

    @post("/", status_code=201, summary="Sign up")
    async def register(self, data: NewUser, roost: Roost) -> UserView:
        user = await roost.accounts.register(data.handle, data.password, data.display_name)
        return user_view(user)

    @get("/{handle:str}", summary="A user's profile")
    async def profile(self, handle: str, roost: Roost, caller: User) -> UserView:
        return user_view(await roost.accounts.by_handle(handle))

    @post("/{handle:str}/follow", status_code=204, summary="Follow a user")
    async def follow(self, handle: str, roost: Roost, caller: User) -> None:
        await roost.follows.follow(caller, handle)

    @delete("/{handle:str}/follow", status_code=204, summary="Stop following a user")
    async def unfollow(self, handle: str, roost: Roost, caller: User) -> None:
        await roost.follows.unfollow(caller, handle)

    @post("/{handle:str}/block", status_code=204, summary="Block a user")
    async def block(self, handle: str, roost: Roost, caller: User) -> None:
        await roost.blocks.block(caller, handle)

    @delete("/{handle:str}/block", status_code=204, summary="Unblock a user")
    async def unblock(self, handle: str, roost: Roost, caller: User) -> None:
        await roost.blocks.unblock(caller, handle)

    @post("/{handle:str}/mute", status_code=204, summary="Mute a user")
    async def mute(self, handle: str, roost: Roost, caller: User) -> None:
        await roost.blocks.mute(caller, handle)

    @delete("/{handle:str}/mute", status_code=204, summary="Unmute a user")
    async def unmute(self, handle: str, roost: Roost, caller: User) -> None:
        await roost.blocks.unmute(caller, handle)

    @get("/{handle:str}/followers", summary="Who follows a user, newest first")
    async def followers(
        self,
        handle: str,
        roost: Roost,
        caller: User,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> UserPage:
        page = await roost.follows.followers(handle, cursor, limit)
        return UserPage([user_view(user) for user in page.items], page.next_cursor)

    @get("/{handle:str}/following", summary="Whom a user follows, newest first")
    async def following(
        self,
        handle: str,
        roost: Roost,
        caller: User,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> UserPage:
        page = await roost.follows.following(handle, cursor, limit)
        return UserPage([user_view(user) for user in page.items], page.next_cursor)

    @get("/{handle:str}/tweets", summary="A user's own posts, newest first", responses=_TWEET_PAGE)
    async def tweets(
        self,
        handle: str,
        roost: Roost,
        caller: User,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Response[bytes]:
        author = await roost.accounts.by_handle(handle)
        return page_response(await roost.timelines.by_author(caller, author, cursor, limit))


class HidingController(Controller):
    """The caller's own lists of whom they block and mute."""

    tags = ["users"]

    @get("/blocks", summary="Whom you blocked, newest first")
    async def blocks(
        self, roost: Roost, caller: User, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> UserPage:
        page = await roost.blocks.blocked(caller, cursor, limit)
        return UserPage([user_view(user) for user in page.items], page.next_cursor)

    @get("/mutes", summary="Whom you muted, newest first")
    async def mutes(
        self, roost: Roost, caller: User, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> UserPage:
        page = await roost.blocks.muted(caller, cursor, limit)
        return UserPage([user_view(user) for user in page.items], page.next_cursor)
