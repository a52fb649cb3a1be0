"""Replies counted, mentions, likes, reposts and notifications; feed entries know their origin.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tweets") as batch:
        batch.add_column(sa.Column("repost_of", sa.BigInteger(), nullable=True))
        for name in ("like_count", "reply_count", "repost_count"):
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_tweets_repost_of", ["repost_of"], unique=False)
    op.execute(
        "UPDATE tweets SET reply_count = (SELECT count(*) FROM tweets AS r"
        " WHERE r.in_reply_to = tweets.id AND r.deleted_at IS NULL)"
    )

    with op.batch_alter_table("feeds_tweets") as batch:
        batch.add_column(sa.Column("origin_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE feeds_tweets SET origin_id = tweet_id")
    with op.batch_alter_table("feeds_tweets") as batch:
        batch.alter_column("origin_id", existing_type=sa.BigInteger(), nullable=False)
        batch.create_index("ix_feeds_tweets_feed_origin", ["feed_id", "origin_id"], unique=True)

    op.create_table(
        "likes",
        sa.Column("tweet_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("tweet_id", "user_id"),
    )
    op.create_index("ix_likes_user_id_tweet_id", "likes", ["user_id", "tweet_id"], unique=False)
    op.create_table(
        "reposts",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tweet_id", sa.BigInteger(), nullable=False),
        sa.Column("repost_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id", "tweet_id"),
        sa.UniqueConstraint("repost_id"),
    )
    op.create_index("ix_reposts_tweet_id", "reposts", ["tweet_id"], unique=False)
    op.create_table(
        "mentions",
        sa.Column("tweet_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("tweet_id", "user_id"),
    )
    op.create_index(
        "ix_mentions_user_id_tweet_id", "mentions", ["user_id", "tweet_id"], unique=False
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("tweet_id", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["recipient_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_notifications_event",
        "notifications",
        ["event_id", "recipient_id", "type"],
        unique=True,
    )
    op.create_index(
        "ix_notifications_recipient_id_id", "notifications", ["recipient_id", "id"], unique=False
    )
    op.create_index(
        "ix_notifications_recipient_group",
        "notifications",
        ["recipient_id", "group_key", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("mentions")
    op.drop_table("reposts")
    op.drop_table("likes")
    with op.batch_alter_table("feeds_tweets") as batch:
        batch.drop_index("ix_feeds_tweets_feed_origin")
        batch.drop_column("origin_id")
    with op.batch_alter_table("tweets") as batch:
        batch.drop_index("ix_tweets_repost_of")
        for name in ("repost_count", "reply_count", "like_count", "repost_of"):
            batch.drop_column(name)
