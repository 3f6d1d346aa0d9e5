"""Overall volume alerts: ``alerts.subject_id`` 0 (all posts) has no subject row.

The foreign key to ``subjects`` is dropped; ``delete_subject`` deletes a subject's
alerts itself.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_alerts_subject_id_subjects"), type_="foreignkey")


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE subject_id NOT IN (SELECT id FROM subjects)")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_alerts_subject_id_subjects"),
            "subjects",
            ["subject_id"],
            ["id"],
            ondelete="CASCADE",
        )
