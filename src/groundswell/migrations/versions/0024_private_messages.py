"""interactions: a per-message private flag

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-27

Privacy used to follow the channel key alone, so a Messenger message stored on a
Facebook page's channel, a Mastodon ``direct`` status or an X DM was shown to every
role. The flag is backfilled so that nothing hidden before becomes visible, and so that
the direct messages already stored become private: rows on a private channel key, rows
on a channel served by a private-only connector kind, Meta ``message`` events, Mastodon
``direct`` statuses and X DMs (``raw.private``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | None = None
depends_on: str | None = None

PRIVATE_CHANNELS = ("email", "sms", "chat", "webchat", "dm", "twitter_dm", "messenger", "whatsapp")
"""``crm.visibility.PRIVATE_CHANNELS`` as it stood when this revision was written."""
PRIVATE_KINDS = ("email", "sms", "webchat")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _raw_text(dialect: str, key: str) -> str:
    if dialect == "postgresql":
        return f"(raw ->> '{key}')"
    return f"json_extract(raw, '$.{key}')"


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    dialect = op.get_bind().dialect.name
    true = "true" if dialect == "postgresql" else "1"
    by_key = f"SELECT id FROM channels WHERE key IN ({_quoted(PRIVATE_CHANNELS)})"
    by_kind = (
        "SELECT c.id FROM channels c JOIN channel_accounts a ON a.key = c.key "
        f"WHERE a.kind IN ({_quoted(PRIVATE_KINDS)})"
    )
    raw_private = (
        f"{_raw_text(dialect, 'private')} = 'true'"
        if dialect == "postgresql"
        else f"{_raw_text(dialect, 'private')} = 1"
    )
    direct = (
        f"(raw IS NOT NULL AND ("
        f"{_raw_text(dialect, 'kind')} = 'message'"
        f" OR {_raw_text(dialect, 'visibility')} = 'direct'"
        f" OR {raw_private}))"
    )
    op.execute(
        f"UPDATE interactions SET private = {true} "
        f"WHERE channel_id IN ({by_key}) OR channel_id IN ({by_kind}) OR {direct}"
    )


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("private")
