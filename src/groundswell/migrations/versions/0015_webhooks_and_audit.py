"""Outbound webhook subscriptions for domain events; hourly token-use audit marks.

``webhook_subscriptions`` holds who wants which events where; each event becomes a row of
the notification outbox (``alert_deliveries``) tied to its subscription. The audit log
gets an index for filtering by actor, and ``api_tokens.audited_at`` says when a token's
use was last written to the audit log (at most once an hour).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import groundswell.core.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = groundswell.core.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", _JSON, nullable=False),
        sa.Column("secret_salt", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_alert_deliveries_subscription_id"), ["subscription_id"], unique=False
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audited_at", _TS, nullable=True))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor", ["actor"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_actor")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("audited_at")
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_deliveries_subscription_id"))
        batch_op.drop_column("subscription_id")
    op.drop_table("webhook_subscriptions")
