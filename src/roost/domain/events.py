"""Events: every state change is recorded as one, in the same transaction as the change.

Consumers (fanout, notifications, later analytics) act on events after the commit. Payloads
are small JSON objects of ids; consumers load current state rather than trust a stale copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

TWEET_CREATED: Final = "tweet.created"
TWEET_DELETED: Final = "tweet.deleted"
FOLLOW_CREATED: Final = "follow.created"
FOLLOW_DELETED: Final = "follow.deleted"
USER_CREATED: Final = "user.created"
LIKE_CREATED: Final = "like.created"
LIKE_DELETED: Final = "like.deleted"
BLOCK_CREATED: Final = "block.created"
BLOCK_DELETED: Final = "block.deleted"
MUTE_CREATED: Final = "mute.created"
MUTE_DELETED: Final = "mute.deleted"
# Not a state change and not in the outbox: what an API process counted of reads, handed to the
# workers through a stream of its own (see ``domain.analytics.usage_counted``).
USAGE_COUNTED: Final = "usage.counted"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be written to the outbox."""

    type: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """An event as stored: ``id`` keys every effect a consumer has.

    ``txid`` is the writing transaction's number where the store records one; events are read
    in (txid, id) order, which is commit order for every reader.
    """

    id: int
    type: str
    payload: dict[str, Any]
    txid: int = 0


def tweet_created(tweet_id: int, author_id: int) -> NewEvent:
    """A post, a reply or a repost (consumers load the tweet to tell which)."""
    return NewEvent(TWEET_CREATED, {"tweet_id": str(tweet_id), "author_id": str(author_id)})


def tweet_deleted(tweet_id: int, author_id: int) -> NewEvent:
    return NewEvent(TWEET_DELETED, {"tweet_id": str(tweet_id), "author_id": str(author_id)})


def follow_created(follower_id: int, followee_id: int) -> NewEvent:
    return NewEvent(
        FOLLOW_CREATED, {"follower_id": str(follower_id), "followee_id": str(followee_id)}
    )


def follow_deleted(follower_id: int, followee_id: int) -> NewEvent:
    return NewEvent(
        FOLLOW_DELETED, {"follower_id": str(follower_id), "followee_id": str(followee_id)}
    )


def user_created(user_id: int) -> NewEvent:
    return NewEvent(USER_CREATED, {"user_id": str(user_id)})


def like_created(user_id: int, tweet_id: int) -> NewEvent:
    return NewEvent(LIKE_CREATED, {"user_id": str(user_id), "tweet_id": str(tweet_id)})


def like_deleted(user_id: int, tweet_id: int) -> NewEvent:
    return NewEvent(LIKE_DELETED, {"user_id": str(user_id), "tweet_id": str(tweet_id)})


def block_created(user_id: int, target_id: int) -> NewEvent:
    return NewEvent(BLOCK_CREATED, _hiding(user_id, target_id))


def block_deleted(user_id: int, target_id: int) -> NewEvent:
    return NewEvent(BLOCK_DELETED, _hiding(user_id, target_id))


def mute_created(user_id: int, target_id: int) -> NewEvent:
    return NewEvent(MUTE_CREATED, _hiding(user_id, target_id))


def mute_deleted(user_id: int, target_id: int) -> NewEvent:
    return NewEvent(MUTE_DELETED, _hiding(user_id, target_id))


def _hiding(user_id: int, target_id: int) -> dict[str, str]:
    return {"user_id": str(user_id), "target_id": str(target_id)}
