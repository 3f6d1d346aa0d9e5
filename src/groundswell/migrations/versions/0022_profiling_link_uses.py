"""Profiling links are used once: a row per answered link.

Revision ID: 0022
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from groundswell.core.base import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "profiling_link_uses",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_profiling_link_uses")),
    )
    op.create_index("ix_profiling_link_uses_expires_at", "profiling_link_uses", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_profiling_link_uses_expires_at", table_name="profiling_link_uses")
    op.drop_table("profiling_link_uses")
