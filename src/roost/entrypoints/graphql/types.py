"""The GraphQL types. Ids are strings of digits, as in REST (64-bit ids overflow JSON numbers in
JavaScript). The seed's ``UUID`` scalar is roost's id: a 64-bit, time-ordered id written as a
string of decimal digits; it is not an RFC 4122 UUID, and only the name is kept, so the seed's
query runs as written."""

from __future__ import annotations

from typing import NewType

import msgspec
import strawberry

from roost.domain.ids import parse_id
from roost.entrypoints.rest.schemas import NotificationDoc
from roost.services.views import EngagedTweetView, UserView


def _parse_id(value: object) -> str:
    text = str(value)
    if parse_id(text) is None:
        raise ValueError("a roost id is a string of decimal digits")
    return text


UUID = NewType("UUID", str)
"""The seed's name for an id; see the module docstring."""

UUID_SCALAR = strawberry.scalar(
    name="UUID",
    description="A roost id (64-bit, time-ordered) as a string of decimal digits.",
    serialize=str,
    parse_value=_parse_id,
)


@strawberry.type
class Author:
    id: strawberry.ID
    handle: str
    display_name: str


@strawberry.type
class Tweet:
    id: strawberry.ID
    author: Author
    content: str
    created_at: str
    in_reply_to: strawberry.ID | None
    repost_of: Tweet | None = strawberry.field(
        description="The original a repost shows (its author is the reposter); null otherwise."
    )
    like_count: int
    reply_count: int
    repost_count: int
    liked: bool = strawberry.field(description="Whether the caller liked the post.")
    reposted: bool = strawberry.field(description="Whether the caller reposted the post.")

    @staticmethod
    def from_view(view: EngagedTweetView) -> Tweet:
        author = Author(
            id=strawberry.ID(view.author.id),
            handle=view.author.handle,
            display_name=view.author.display_name,
        )
        return Tweet(
            id=strawberry.ID(view.id),
            author=author,
            content=view.content,
            created_at=view.created_at,
            in_reply_to=None if view.in_reply_to is None else strawberry.ID(view.in_reply_to),
            repost_of=None if view.repost_of is None else Tweet.from_view(view.repost_of),
            like_count=view.like_count,
            reply_count=view.reply_count,
            repost_count=view.repost_count,
            liked=view.liked,
            reposted=view.reposted,
        )


_tweet_decoder = msgspec.json.Decoder(EngagedTweetView)


def tweet_from_json(rendered: bytes) -> Tweet:
    return Tweet.from_view(_tweet_decoder.decode(rendered))


@strawberry.type
class User:
    id: strawberry.ID
    handle: str
    display_name: str
    followers_count: int
    following_count: int
    created_at: str

    @staticmethod
    def from_view(view: UserView) -> User:
        return User(
            id=strawberry.ID(view.id),
            handle=view.handle,
            display_name=view.display_name,
            followers_count=view.followers_count,
            following_count=view.following_count,
            created_at=view.created_at,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class TweetEdge:
    cursor: str
    node: Tweet


@strawberry.type
class TweetConnection:
    edges: list[TweetEdge]
    page_info: PageInfo


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo


@strawberry.type
class Notification:
    id: strawberry.ID
    type: str = strawberry.field(description="follow, mention, reply, like or repost")
    actor: User
    tweet: Tweet | None = strawberry.field(
        description="The reply or mention itself, or the post liked or reposted."
    )
    created_at: str
    read: bool


def notification_from_json(rendered: bytes) -> Notification:
    view = _notification_decoder.decode(rendered)
    return Notification(
        id=strawberry.ID(view.id),
        type=view.type,
        actor=User.from_view(view.actor),
        tweet=None if view.tweet is None else Tweet.from_view(view.tweet),
        created_at=view.created_at,
        read=view.read,
    )


_notification_decoder = msgspec.json.Decoder(NotificationDoc)


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo


@strawberry.type
class FeedTweet:
    """An entry of a feed, in the seed's words."""

    tweet_id: UUID = strawberry.field(name="tweet_id")  # the seed's spelling


@strawberry.type
class Feed:
    """A materialised feed (the seed's FEEDS): today, the caller's home feed."""

    id: UUID
    kind: str
    feeds_tweets: list[FeedTweet] = strawberry.field(name="feeds_tweets")
