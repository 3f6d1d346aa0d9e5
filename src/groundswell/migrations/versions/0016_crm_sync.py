"""CRM sync: connections, id links, the outbound queue and field conflicts

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import groundswell.core.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = groundswell.core.base.UTCDateTime(timezone=True)


def _connection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["connection_id"],
        ["crm_connections.id"],
        name=op.f(f"fk_{table}_connection_id_crm_connections"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "crm_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("config", _JSON, nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_detail", sa.Text(), nullable=True),
        sa.Column("pull_cursor", sa.String(length=64), nullable=True),
        sa.Column("push_watermark", _TS, nullable=True),
        sa.Column("next_attempt_at", _TS, nullable=True),
        sa.Column("last_sync_at", _TS, nullable=True),
        sa.Column("pushed_total", sa.Integer(), nullable=False),
        sa.Column("pulled_total", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_connections")),
        sa.UniqueConstraint("name", name=op.f("uq_crm_connections_name")),
    )
    op.create_table(
        "crm_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("local_kind", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=64), nullable=False),
        sa.Column("pushed_hash", sa.String(length=64), nullable=True),
        sa.Column("pushed_at", _TS, nullable=True),
        sa.Column("local_version", sa.Integer(), nullable=False),
        sa.Column("base", _JSON, nullable=False),
        sa.Column("remote_fields", _JSON, nullable=False),
        sa.Column("remote_modified_at", sa.String(length=64), nullable=True),
        _connection_fk("crm_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_links")),
        sa.UniqueConstraint(
            "connection_id",
            "local_kind",
            "local_id",
            name=op.f("uq_crm_links_connection_id_local_kind_local_id"),
        ),
    )
    op.create_index(
        "ix_crm_links_remote", "crm_links", ["connection_id", "local_kind", "remote_id"]
    )
    op.create_table(
        "crm_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("local_kind", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("enqueued_at", _TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _connection_fk("crm_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_outbox")),
        sa.UniqueConstraint(
            "connection_id",
            "local_kind",
            "local_id",
            name=op.f("uq_crm_outbox_connection_id_local_kind_local_id"),
        ),
    )
    op.create_table(
        "crm_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("base_value", sa.Text(), nullable=True),
        sa.Column("local_value", sa.Text(), nullable=True),
        sa.Column("remote_value", sa.Text(), nullable=True),
        sa.Column("local_changed_at", _TS, nullable=True),
        sa.Column("remote_changed_at", sa.String(length=64), nullable=True),
        sa.Column("detected_at", _TS, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", _TS, nullable=True),
        _connection_fk("crm_conflicts"),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["crm_links.id"],
            name=op.f("fk_crm_conflicts_link_id_crm_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_conflicts")),
    )
    op.create_index("ix_crm_conflicts_status", "crm_conflicts", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_crm_conflicts_status", table_name="crm_conflicts")
    op.drop_table("crm_conflicts")
    op.drop_table("crm_outbox")
    op.drop_index("ix_crm_links_remote", table_name="crm_links")
    op.drop_table("crm_links")
    op.drop_table("crm_connections")
