"""alerts: other metrics of the same subject that moved in the episode

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28

A surge of complaints raised a "posts" alert and a "negative posts" alert for the same
subject in the same minute, and a reader got two alerts (and two notifications) for one
burst. The second metric now joins the open episode: ``joined`` maps each joined metric
to its most extreme minute's observed and expected values. Existing alerts join nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("joined")
