from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.openapi import ResponseSpec

from roost.bootstrap import Roost
from roost.domain.users import User
from roost.entrypoints.rest.ids import body_id, path_id
from roost.entrypoints.rest.schemas import NewTweet
from roost.entrypoints.rest.splice import tweet_response
from roost.services.views import TweetView, render_tweet

_TWEET = {200: ResponseSpec(data_container=TweetView, description="The tweet")}
_CREATED = {201: ResponseSpec(data_container=TweetView, description="The new tweet")}


class TweetsController(Controller):
    tags = ["tweets"]

    @post("/tweet", status_code=201, summary="Post a tweet", responses=_CREATED)
    async def publish(self, data: NewTweet, roost: Roost, caller: User) -> Response[bytes]:
        reply_to = body_id(data.in_reply_to, "in_reply_to")
        tweet = await roost.publishing.publish(caller, data.content, reply_to)
        return tweet_response(render_tweet(tweet), status_code=201)

    @get("/tweets/{tweet_id:str}", summary="One tweet", responses=_TWEET)
    async def read(self, tweet_id: str, roost: Roost, caller: User) -> Response[bytes]:
        return tweet_response(await roost.publishing.get(path_id(tweet_id)))

    @delete("/tweets/{tweet_id:str}", status_code=204, summary="Delete your tweet")
    async def remove(self, tweet_id: str, roost: Roost, caller: User) -> None:
        await roost.publishing.delete(caller, path_id(tweet_id))
