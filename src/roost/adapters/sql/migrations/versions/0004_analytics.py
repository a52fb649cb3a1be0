"""Analytics: hourly and daily rollups, per-tweet counters, counted events, daily actives,
admins.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_rollups",
        sa.Column("metric", sa.String(32), primary_key=True),
        sa.Column("subject_id", sa.BigInteger(), primary_key=True),
        sa.Column("period", sa.String(1), primary_key=True),
        sa.Column("bucket", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tweet_stats",
        sa.Column("tweet_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("likes", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("replies", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("reposts", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "analytics_events",
        sa.Column("event_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    )
    op.create_table(
        "active_users",
        sa.Column("day", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True),
    )
    op.create_table(
        "admins",
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("admins", "active_users", "analytics_events", "tweet_stats", "analytics_rollups"):
        op.drop_table(table)
