"""channel accounts and sources: connector config, encrypted credentials, cursors, leases

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from groundswell.core.base import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "channel_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_detail", sa.Text(), nullable=True),
        sa.Column("monthly_budget", sa.Float(), nullable=True),
        sa.Column("cost_per_read", sa.Float(), nullable=False),
        sa.Column("budget_month", sa.String(length=7), nullable=True),
        sa.Column("budget_used", sa.Float(), nullable=False),
        sa.Column("rate_limits", JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_channel_accounts_key")),
    )
    op.create_table(
        "channel_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("activity", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_fetch_at", UTCDateTime(), nullable=True),
        sa.Column("last_event_at", UTCDateTime(), nullable=True),
        sa.Column("last_read_at", UTCDateTime(), nullable=True),
        sa.Column("posts_total", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_channel_sources_account_id_channel_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_sources")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_channel_sources_account_id")),
    )
    with op.batch_alter_table("channel_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_sources_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_sources_account_id"))
    op.drop_table("channel_sources")
    op.drop_table("channel_accounts")
