"""Request and response bodies. Unknown request fields are refused, so a typo never passes."""

from __future__ import annotations

import msgspec

from roost.services.views import EngagedTweetView, UserView


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    handle: str
    password: str
    display_name: str | None = None


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    handle: str
    password: str


class NewTweet(msgspec.Struct, forbid_unknown_fields=True):
    content: str
    in_reply_to: str | int | None = None


class Session(msgspec.Struct):
    token: str
    user: UserView


class UserPage(msgspec.Struct):
    items: list[UserView]
    next_cursor: str | None


class TweetPage(msgspec.Struct):
    """Documents the shape of tweet lists, which are sent as spliced bytes (see splice.py)."""

    items: list[EngagedTweetView]
    next_cursor: str | None


class NotificationDoc(msgspec.Struct):
    """Documents a notification (sent as spliced bytes)."""

    id: str
    type: str
    actor: UserView
    tweet: EngagedTweetView | None
    created_at: str
    read: bool


class NotificationPage(msgspec.Struct):
    """Documents GET /notifications; with grouped=true the items are groups (see README)."""

    items: list[NotificationDoc]
    next_cursor: str | None


class ReadMark(msgspec.Struct, forbid_unknown_fields=True):
    up_to: str | int


class UnreadCount(msgspec.Struct):
    count: int


class Health(msgspec.Struct, omit_defaults=True):
    """{"status": "ok"} when all is well; otherwise the status and which check failed."""

    status: str
    checks: dict[str, str] | None = None
