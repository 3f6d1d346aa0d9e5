"""Engagement rollup: per-day counters and time histograms, and each case's share.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import groundswell.core.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = groundswell.core.base.UTCDateTime(timezone=True)
_COUNTERS = (
    "opened",
    "resolved",
    "first_responses",
    "next_responses",
    "replies",
    "replies_resolved",
    "sla_first_total",
    "sla_first_met",
    "sla_resolve_total",
    "sla_resolve_met",
    "csat_count",
    "csat_sum",
    "csat_satisfied",
    "lift_count",
    "open_now",
)
_SUMS = (
    "lift_sum",
    "frt_bus_sum",
    "frt_wall_sum",
    "nrt_bus_sum",
    "nrt_wall_sum",
    "res_bus_sum",
    "res_wall_sum",
    "open_since_sum",
)


def upgrade() -> None:
    op.create_table(
        "an_eng_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in _COUNTERS],
        *[sa.Column(name, sa.Float(), nullable=False) for name in _SUMS],
        sa.Column("hists", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_an_eng_daily")),
    )
    op.create_index("ux_an_eng_daily_key", "an_eng_daily", ["dim", "key", "day"], unique=True)
    op.create_table(
        "an_eng_case_share",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("share", _JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["eng_cases.id"],
            name=op.f("fk_an_eng_case_share_case_id_eng_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_an_eng_case_share")),
    )


def downgrade() -> None:
    op.drop_table("an_eng_case_share")
    op.drop_index("ux_an_eng_daily_key", table_name="an_eng_daily")
    op.drop_table("an_eng_daily")
