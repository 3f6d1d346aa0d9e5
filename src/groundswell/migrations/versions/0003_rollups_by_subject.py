"""minute rollups by subject and minute

A series reads one subject over a time range; the primary key leads with the minute,
so without this index every subject's rows in the range are scanned. Measured in
docs/benchmarks.md (listening series latency).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("minute_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_minute_rollups_subject_minute", ["subject_id", "minute"])


def downgrade() -> None:
    with op.batch_alter_table("minute_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_minute_rollups_subject_minute")
