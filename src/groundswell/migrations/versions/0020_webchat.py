"""web chat widget: conversations and their messages

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import groundswell.core.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | None = None
depends_on: str | None = None

_TS = groundswell.core.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webchat_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_key", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_message_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webchat_conversations")),
        sa.UniqueConstraint("ref", name=op.f("uq_webchat_conversations_ref")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_webchat_conversations_token_hash")),
    )
    op.create_index(
        op.f("ix_webchat_conversations_channel_key"),
        "webchat_conversations",
        ["channel_key"],
        unique=False,
    )
    op.create_table(
        "webchat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["webchat_conversations.id"],
            name=op.f("fk_webchat_messages_conversation_id_webchat_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webchat_messages")),
        sa.UniqueConstraint(
            "conversation_id",
            "client_id",
            name=op.f("uq_webchat_messages_conversation_id_client_id"),
        ),
        sa.UniqueConstraint("external_id", name=op.f("uq_webchat_messages_external_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_webchat_messages_idempotency_key")),
    )
    op.create_index(
        op.f("ix_webchat_messages_conversation_id"),
        "webchat_messages",
        ["conversation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webchat_messages_conversation_id"), table_name="webchat_messages")
    op.drop_table("webchat_messages")
    op.drop_index(op.f("ix_webchat_conversations_channel_key"), table_name="webchat_conversations")
    op.drop_table("webchat_conversations")
