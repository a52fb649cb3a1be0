"""Blocks and mutes: one user hiding another, each pair once, indexed both ways.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLES = ("blocks", "mutes")


def upgrade() -> None:
    for name in _TABLES:
        op.create_table(
            name,
            sa.Column("user_id", sa.BigInteger(), nullable=False),
            sa.Column("target_id", sa.BigInteger(), nullable=False),
            sa.Column("id", sa.BigInteger(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["target_id"], ["users.id"]),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
            sa.PrimaryKeyConstraint("user_id", "target_id"),
            sa.UniqueConstraint("id"),
        )
        op.create_index(f"ix_{name}_target_user", name, ["target_id", "user_id"], unique=True)
        op.create_index(f"ix_{name}_user_id_id", name, ["user_id", "id"], unique=False)


def downgrade() -> None:
    for name in _TABLES:
        op.drop_index(f"ix_{name}_user_id_id", table_name=name)
        op.drop_index(f"ix_{name}_target_user", table_name=name)
        op.drop_table(name)
