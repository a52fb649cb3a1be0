from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.openapi import ResponseSpec

from roost.bootstrap import Roost
from roost.domain.users import User
from roost.entrypoints.rest.ids import body_id, path_id
from roost.entrypoints.rest.schemas import NewTweet, TweetPage
from roost.entrypoints.rest.splice import page_response, tweet_response
from roost.services.pages import DEFAULT_LIMIT
from roost.services.views import EngagedTweetView

_TWEET = {200: ResponseSpec(data_container=EngagedTweetView, description="The tweet")}
_CREATED = {201: ResponseSpec(data_container=EngagedTweetView, description="The new tweet")}
_REPOSTED = {
    201: ResponseSpec(data_container=EngagedTweetView, description="Your new repost"),
    200: ResponseSpec(data_container=EngagedTweetView, description="Your earlier repost"),
}
_REPLIES = {200: ResponseSpec(data_container=TweetPage, description="Replies, newest first")}


class TweetsController(Controller):
    tags = ["tweets"]

    @post("/tweet", status_code=201, summary="Post a tweet", responses=_CREATED)
    async def publish(self, data: NewTweet, roost: Roost, caller: User) -> Response[bytes]:
        reply_to = body_id(data.in_reply_to, "in_reply_to")
        tweet = await roost.publishing.publish(caller, data.content, reply_to)
        return tweet_response(roost.publishing.present_new(tweet), status_code=201)

    @get("/tweets/{tweet_id:str}", summary="One tweet", responses=_TWEET)
    async def read(self, tweet_id: str, roost: Roost, caller: User) -> Response[bytes]:
        return tweet_response(await roost.publishing.get(caller, path_id(tweet_id)))

    @delete("/tweets/{tweet_id:str}", status_code=204, summary="Delete your tweet")
    async def remove(self, tweet_id: str, roost: Roost, caller: User) -> None:
        await roost.publishing.delete(caller, path_id(tweet_id))

    @get("/tweets/{tweet_id:str}/replies", summary="Replies to a tweet", responses=_REPLIES)
    async def replies(
        self,
        tweet_id: str,
        roost: Roost,
        caller: User,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Response[bytes]:
        page = await roost.timelines.replies(caller, path_id(tweet_id), cursor, limit)
        return page_response(page)

    @post("/tweets/{tweet_id:str}/like", status_code=204, summary="Like a tweet")
    async def like(self, tweet_id: str, roost: Roost, caller: User) -> None:
        await roost.interactions.like(caller, path_id(tweet_id))

    @delete("/tweets/{tweet_id:str}/like", status_code=204, summary="Take your like back")
    async def unlike(self, tweet_id: str, roost: Roost, caller: User) -> None:
        await roost.interactions.unlike(caller, path_id(tweet_id))

    @post("/tweets/{tweet_id:str}/repost", summary="Repost a tweet", responses=_REPOSTED)
    async def repost(self, tweet_id: str, roost: Roost, caller: User) -> Response[bytes]:
        repost, created = await roost.interactions.repost(caller, path_id(tweet_id))
        body = await roost.publishing.present(caller, repost)
        return tweet_response(body, status_code=201 if created else 200)

    @delete("/tweets/{tweet_id:str}/repost", status_code=204, summary="Undo your repost")
    async def unrepost(self, tweet_id: str, roost: Roost, caller: User) -> None:
        await roost.interactions.unrepost(caller, path_id(tweet_id))
