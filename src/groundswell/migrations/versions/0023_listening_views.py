"""listening: saved views

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import groundswell.core.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | None = None
depends_on: str | None = None

_TS = groundswell.core.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "listening_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("range_key", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=4), nullable=False),
        sa.Column("start", _TS, nullable=True),
        sa.Column("end", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listening_views_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_views")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_listening_views_user_id_name")),
    )
    op.create_index(
        op.f("ix_listening_views_user_id"), "listening_views", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_listening_views_user_id"), table_name="listening_views")
    op.drop_table("listening_views")
