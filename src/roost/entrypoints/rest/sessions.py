from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, post

from roost.bootstrap import Roost
from roost.domain.users import User
from roost.entrypoints.rest.auth import bearer_token
from roost.entrypoints.rest.rate_limits import request_client_ip
from roost.entrypoints.rest.schemas import Credentials, Session
from roost.services.views import user_view


class SessionsController(Controller):
    path = "/sessions"
    tags = ["sessions"]

    @post("/", status_code=201, summary="Log in: a new session token")
    async def log_in(
        self, request: Request[Any, Any, Any], data: Credentials, roost: Roost
    ) -> Session:
        client = request_client_ip(request)
        token, user = await roost.accounts.log_in(data.handle, data.password, client)
        return Session(token, user_view(user))

    @delete("/", status_code=204, summary="Log out: revoke the calling token")
    async def log_out(self, request: Request[Any, Any, Any], roost: Roost, caller: User) -> None:
        token = bearer_token(request)
        assert token is not None  # caller resolved, so the header held a token
        await roost.accounts.log_out(token)
