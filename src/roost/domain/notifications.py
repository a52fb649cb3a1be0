"""Notifications: who did what to whom, and how they group.

Each notification comes from one event of the log and is keyed by it (with its recipient and
type), so a replayed event creates nothing new. Grouping follows Mastodon 4.3's grouped
notifications: likes and reposts of one post, and new followers of one day, read as one line
("alice and 12 others liked your post"); every other notification is a group of its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class NotificationType(enum.StrEnum):
    FOLLOW = "follow"
    MENTION = "mention"
    REPLY = "reply"
    LIKE = "like"
    REPOST = "repost"


GROUPED_ACTORS = 3  # the most recent actors a group shows


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    recipient_id: int
    type: NotificationType
    actor_id: int
    tweet_id: int | None
    created_at: datetime
    read: bool = False

    @property
    def group_key(self) -> str:
        return group_key(self.id, self.type, self.tweet_id, self.created_at)


@dataclass(frozen=True, slots=True)
class NotificationGroup:
    """Notifications read as one: ``count`` of them, the newest ``actor_ids`` first."""

    key: str
    type: NotificationType
    count: int
    actor_ids: list[int]
    tweet_id: int | None
    latest_id: int
    latest_at: datetime
    read: bool


def group_key(
    notification_id: int, kind: NotificationType, tweet_id: int | None, at: datetime
) -> str:
    """What a notification groups by; stored with it so that a page of groups is one query."""
    if kind in (NotificationType.LIKE, NotificationType.REPOST) and tweet_id is not None:
        return f"{kind}:{tweet_id}"
    if kind is NotificationType.FOLLOW:
        return f"follow:{at.date().isoformat()}"
    return f"n:{notification_id}"
