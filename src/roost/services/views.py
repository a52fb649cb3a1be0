"""The public JSON shapes of users and tweets, shared by every interface.

Tweets are serialised once and cached as bytes: list responses splice those bytes instead of
decoding and re-encoding them (DESIGN.md section 3; re-encoding measured at 28-35% of a read).
Ids are strings because 64-bit integers overflow JavaScript numbers.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from roost.domain.tweets import Tweet
from roost.domain.users import User


class AuthorView(msgspec.Struct):
    id: str
    handle: str
    display_name: str


class TweetView(msgspec.Struct):
    id: str
    author: AuthorView
    content: str
    created_at: str
    in_reply_to: str | None


class UserView(msgspec.Struct):
    id: str
    handle: str
    display_name: str
    followers_count: int
    following_count: int
    created_at: str


_encoder = msgspec.json.Encoder()


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def tweet_view(tweet: Tweet) -> TweetView:
    author = tweet.author
    return TweetView(
        id=str(tweet.id),
        author=AuthorView(str(author.id), author.handle, author.display_name),
        content=tweet.content,
        created_at=rfc3339(tweet.created_at),
        in_reply_to=None if tweet.in_reply_to is None else str(tweet.in_reply_to),
    )


def user_view(user: User) -> UserView:
    return UserView(
        id=str(user.id),
        handle=user.handle,
        display_name=user.display_name,
        followers_count=user.followers_count,
        following_count=user.following_count,
        created_at=rfc3339(user.created_at),
    )


def render_tweet(tweet: Tweet) -> bytes:
    return _encoder.encode(tweet_view(tweet))
