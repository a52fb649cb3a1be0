"""The schema, named as the seed names it. Migrations under migrations/ create exactly this;
tests/integration/sql/test_migrations.py fails when the two differ."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps in UTC, always timezone-aware in Python (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing rowid; PostgreSQL wants BIGINT.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("handle", String(30), nullable=False),
    Column("handle_key", String(30), nullable=False, unique=True),
    Column("display_name", String(50), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("followers_count", Integer, nullable=False, server_default="0"),
    Column("following_count", Integer, nullable=False, server_default="0"),
    Column("last_seen_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # True once the fanout serves this user's posts by pull (a celebrity): see Fanout.
    Column("pulled", Boolean, nullable=False, server_default="0"),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, server_default="0"),
)

tweets = Table(
    "tweets",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("author_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("content", Text, nullable=False),
    Column("in_reply_to", BigInteger, nullable=True, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
    # A repost is a tweet of the reposter's whose content is empty and which shows this one.
    Column("repost_of", BigInteger, nullable=True, index=True),
    # Engagement counts, moved in the transaction of the like, reply or repost.
    Column("like_count", Integer, nullable=False, server_default="0"),
    Column("reply_count", Integer, nullable=False, server_default="0"),
    Column("repost_count", Integer, nullable=False, server_default="0"),
    Index("ix_tweets_author_id_id", "author_id", "id"),
)

likes = Table(
    "likes",
    metadata,
    Column("tweet_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_likes_user_id_tweet_id", "user_id", "tweet_id"),
)

# One live repost per user and original; the repost itself is a row of ``tweets``.
reposts = Table(
    "reposts",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    Column("tweet_id", BigInteger, primary_key=True),
    Column("repost_id", BigInteger, nullable=False, unique=True),
    Index("ix_reposts_tweet_id", "tweet_id"),
)

mentions = Table(
    "mentions",
    metadata,
    Column("tweet_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    Index("ix_mentions_user_id_tweet_id", "user_id", "tweet_id"),
)

# Each notification is keyed by the event it came from, so a replayed event adds nothing.
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("recipient_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("type", String(16), nullable=False),
    Column("actor_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("tweet_id", BigInteger, nullable=True),
    Column("event_id", BigInteger, nullable=False),
    Column("group_key", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read", Boolean, nullable=False, server_default="0"),
    Index("ix_notifications_event", "event_id", "recipient_id", "type", unique=True),
    Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
    Index("ix_notifications_recipient_group", "recipient_id", "group_key", "id"),
)

followers = Table(
    "followers",
    metadata,
    Column("follower_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    Column("followee_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    Column("id", BigInteger, nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    # fanout pages through an author's followers in id order
    Index("ix_followers_followee_follower", "followee_id", "follower_id", unique=True),
    # follower and following lists, newest follow first
    Index("ix_followers_followee_id_id", "followee_id", "id"),
    Index("ix_followers_follower_id_id", "follower_id", "id"),
)


def _hiding_table(name: str) -> Table:
    """Blocks and mutes: ``user_id`` hides ``target_id``; ``id`` orders a user's list."""
    return Table(
        name,
        metadata,
        Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True),
        Column("target_id", BigInteger, ForeignKey("users.id"), primary_key=True),
        Column("id", BigInteger, nullable=False, unique=True),
        Column("created_at", UtcDateTime, nullable=False),
        # who hides a user (a reader's blockers; fanout's muters of an author)
        Index(f"ix_{name}_target_user", "target_id", "user_id", unique=True),
        # a user's list, newest first
        Index(f"ix_{name}_user_id_id", "user_id", "id"),
    )


blocks = _hiding_table("blocks")
mutes = _hiding_table("mutes")

# A home feed's id is its owner's user id; later kinds of feed (lists) take fresh ids.
feeds = Table(
    "feeds",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("owner_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(8), nullable=False, server_default="fresh"),
    Column("rebuilt_at", UtcDateTime, nullable=True),
    Index("ix_feeds_owner_kind", "owner_id", "kind", unique=True),
)

feeds_tweets = Table(
    "feeds_tweets",
    metadata,
    Column("feed_id", BigInteger, ForeignKey("feeds.id"), primary_key=True),
    Column("tweet_id", BigInteger, primary_key=True),
    # The post the entry shows (the original of a repost): a feed shows each origin once.
    Column("origin_id", BigInteger, nullable=False),
    Index("ix_feeds_tweets_tweet_id", "tweet_id"),
    Index("ix_feeds_tweets_feed_origin", "feed_id", "origin_id", unique=True),
)

# The outbox. ``txid`` is the writing transaction's id on PostgreSQL (0 on SQLite, where writes
# are serial): consumers read only events of transactions older than every running one, so an
# event committed late can never land behind a consumer's saved position.
events = Table(
    "events",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("txid", BigInteger, nullable=False, server_default="0"),
    Column("type", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_events_txid_id", "txid", "id"),
)

consumer_positions = Table(
    "consumer_positions",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("txid", BigInteger, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("consumer", String(64), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Analytics (services/analytics.py). Counters by hour and by day, per metric and subject
# (0: the whole service; else a user id), so their history survives a Redis loss.
analytics_rollups = Table(
    "analytics_rollups",
    metadata,
    Column("metric", String(32), primary_key=True),
    Column("subject_id", BigInteger, primary_key=True),
    Column("period", String(1), primary_key=True),
    Column("bucket", UtcDateTime, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

tweet_stats = Table(
    "tweet_stats",
    metadata,
    Column("tweet_id", BigInteger, primary_key=True, autoincrement=False),
    Column("impressions", BigInteger, nullable=False, server_default="0"),
    Column("likes", BigInteger, nullable=False, server_default="0"),
    Column("replies", BigInteger, nullable=False, server_default="0"),
    Column("reposts", BigInteger, nullable=False, server_default="0"),
)

# The events the analytics consumer has counted: each is counted once, whatever the replays.
analytics_events = Table(
    "analytics_events",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
)

# The usage batches added to the counters, by their Snowflake ids: each is added once, whatever
# the redeliveries. Ids are time-ordered, so those older than any redelivery are pruned by range.
usage_batches = Table(
    "usage_batches",
    metadata,
    Column("batch_id", BigInteger, primary_key=True, autoincrement=False),
)

# Who was active on which day (embedded mode's exact daily actives; scaled mode uses Redis).
active_users = Table(
    "active_users",
    metadata,
    Column("day", UtcDateTime, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
)

admins = Table(
    "admins",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    Column("granted_at", UtcDateTime, nullable=False),
)
