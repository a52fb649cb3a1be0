"""Product analytics: what is counted, in which time buckets, and what each event adds.

Counters live in hourly and daily buckets (UTC). Service-wide counters have subject 0; per-user
counters have the user's id as subject; per-tweet totals are kept apart (``TweetStats``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from roost.domain import events

SERVICE = 0  # the subject of service-wide counters
MAX_DAYS = 366


class Period(StrEnum):
    HOUR = "h"
    DAY = "d"


class Metric(StrEnum):
    POSTS = "posts"
    FOLLOWS = "follows"
    FEED_READS = "feed_reads"
    IMPRESSIONS = "impressions"
    REQUESTS = "requests"
    ACTIVE_USERS = "active_users"
    FOLLOWERS_GAINED = "followers_gained"
    FOLLOWERS_LOST = "followers_lost"


class TweetCounter(StrEnum):
    IMPRESSIONS = "impressions"
    LIKES = "likes"
    REPLIES = "replies"
    REPOSTS = "reposts"


@dataclass(frozen=True, slots=True)
class TweetStats:
    impressions: int = 0
    likes: int = 0
    replies: int = 0
    reposts: int = 0


@dataclass(frozen=True, slots=True)
class Count:
    """``delta`` added to ``metric`` of ``subject`` in the buckets holding ``at``: the hour and
    the day for service-wide counters, the day for per-user ones."""

    metric: Metric
    subject: int
    at: datetime
    delta: int = 1

    def periods(self) -> tuple[Period, ...]:
        return (Period.HOUR, Period.DAY) if self.subject == SERVICE else (Period.DAY,)


@dataclass(frozen=True, slots=True)
class EventCounts:
    """What one event changes: time-bucketed counts, and per-tweet totals."""

    counts: list[Count] = field(default_factory=list)
    tweets: list[tuple[int, TweetCounter, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UsageBatch:
    """What one process counted of reads between two flushes, at ``at``: times each tweet was
    served, feed reads, requests, and the day's distinct active users so far (0: none seen).
    ``id`` (``ids.random_id_at``) is the batch's own: it is added once, however often it is
    delivered."""

    id: int
    at: datetime
    impressions: dict[int, int]
    feed_reads: int
    requests: int
    active_users: int = 0


def usage_counted(batch: UsageBatch) -> events.NewEvent:
    """A batch as an event of the usage stream. Its tweets and their counts go as two lists of
    numbers, which encode in one pass (a flush shows thousands of tweets)."""
    return events.NewEvent(
        events.USAGE_COUNTED,
        {
            "batch_id": str(batch.id),
            "at": batch.at.isoformat(),
            "tweets": list(batch.impressions),
            "times": list(batch.impressions.values()),
            "feed_reads": batch.feed_reads,
            "requests": batch.requests,
            "active_users": batch.active_users,
        },
    )


def usage_batch(payload: Mapping[str, Any]) -> UsageBatch:
    """The batch a ``usage.counted`` event carries."""
    return UsageBatch(
        int(payload["batch_id"]),
        datetime.fromisoformat(payload["at"]),
        dict(zip(payload["tweets"], payload["times"], strict=True)),
        int(payload["feed_reads"]),
        int(payload["requests"]),
        int(payload["active_users"]),
    )


def bucket(at: datetime, period: Period) -> datetime:
    """The start of the hour or day (UTC) that holds ``at``."""
    at = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if period is Period.DAY else at


def days_ending(today: datetime, days: int) -> list[datetime]:
    """The starts of the ``days`` days up to and including the one holding ``today``, oldest
    first."""
    last = bucket(today, Period.DAY)
    return [last - timedelta(days=n) for n in range(days - 1, -1, -1)]


def event_counts(
    event_type: str,
    payload: dict[str, Any],
    at: datetime,
    reply_to: int | None = None,
    repost_of: int | None = None,
) -> EventCounts:
    """The counts an event of the log adds. ``reply_to`` and ``repost_of`` are the tweets a
    created or deleted tweet replies to or reposts (looked up by the caller; events carry ids
    only). A repost counts for its original, not as a post."""
    if event_type == events.TWEET_CREATED and repost_of is not None:
        return EventCounts([], [(repost_of, TweetCounter.REPOSTS, 1)])
    if event_type == events.TWEET_CREATED:
        author = int(payload["author_id"])
        replies = [(reply_to, TweetCounter.REPLIES, 1)] if reply_to is not None else []
        return EventCounts(
            [Count(Metric.POSTS, SERVICE, at), Count(Metric.POSTS, author, at)], replies
        )
    if event_type == events.TWEET_DELETED and repost_of is not None:
        return EventCounts([], [(repost_of, TweetCounter.REPOSTS, -1)])
    if event_type == events.TWEET_DELETED and reply_to is not None:
        return EventCounts([], [(reply_to, TweetCounter.REPLIES, -1)])
    if event_type == events.FOLLOW_CREATED:
        followee = int(payload["followee_id"])
        return EventCounts(
            [Count(Metric.FOLLOWS, SERVICE, at), Count(Metric.FOLLOWERS_GAINED, followee, at)]
        )
    if event_type == events.FOLLOW_DELETED:
        return EventCounts([Count(Metric.FOLLOWERS_LOST, int(payload["followee_id"]), at)])
    if event_type in (events.LIKE_CREATED, events.LIKE_DELETED):
        delta = 1 if event_type == events.LIKE_CREATED else -1
        return EventCounts([], [(int(payload["tweet_id"]), TweetCounter.LIKES, delta)])
    return EventCounts()
