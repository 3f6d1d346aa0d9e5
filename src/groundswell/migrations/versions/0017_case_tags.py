"""Case tags in a table of their own (``eng_case_tags``), indexed by tag, for the inbox's
tag filter; filled from each case's ``tags`` list.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | None = None
depends_on: str | None = None

_CHUNK = 5000


def upgrade() -> None:
    op.create_table(
        "eng_case_tags",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["eng_cases.id"],
            name=op.f("fk_eng_case_tags_case_id_eng_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "tag", name=op.f("pk_eng_case_tags")),
    )
    with op.batch_alter_table("eng_case_tags", schema=None) as batch_op:
        batch_op.create_index("ix_eng_case_tags_tag_case", ["tag", "case_id"], unique=False)
    _backfill()


def _backfill() -> None:
    """Copy every case's tag list, a chunk of cases at a time (read as text: the same on
    SQLite's JSON and PostgreSQL's JSONB)."""
    bind = op.get_bind()
    cases = sa.table("eng_cases", sa.column("id", sa.Integer()), sa.column("tags", sa.Text()))
    tags = sa.table("eng_case_tags", sa.column("case_id", sa.Integer()), sa.column("tag"))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(cases.c.id, sa.cast(cases.c.tags, sa.Text()))
            .where(cases.c.id > last)
            .order_by(cases.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        out = []
        for case_id, text in rows:
            seen: set[str] = set()
            for tag in (json.loads(str(text)) if text else None) or []:
                if isinstance(tag, str) and tag and tag[:50] not in seen:
                    seen.add(tag[:50])
                    out.append({"case_id": case_id, "tag": tag[:50]})
        if out:
            bind.execute(sa.insert(tags), out)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("eng_case_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_eng_case_tags_tag_case")
    op.drop_table("eng_case_tags")
