"""engagement: cases, timeline, notes, queues, agents, rules, SLA policies, canned
responses, the reply outbox and CSAT; notify deliveries no longer need an alert

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-26 16:57:50.672796
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import groundswell.core.base

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "eng_queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "languages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_queues")),
        sa.UniqueConstraint("name", name=op.f("uq_eng_queues_name")),
    )
    op.create_table(
        "eng_reply_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "may_reply",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("approval_influence", sa.Float(), nullable=True),
        sa.Column("approve_negative_in_alert", sa.Boolean(), nullable=False),
        sa.Column("approve_trainees", sa.Boolean(), nullable=False),
        sa.Column("reopen_window_h", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_reply_policy")),
    )
    op.create_table(
        "eng_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stop", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "actions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_rules")),
    )
    op.create_table(
        "eng_sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("first_response_min", sa.Integer(), nullable=False),
        sa.Column("next_response_min", sa.Integer(), nullable=True),
        sa.Column("resolution_min", sa.Integer(), nullable=True),
        sa.Column("warn_before_min", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("holiday_country", sa.String(length=8), nullable=True),
        sa.Column("notify_kind", sa.String(length=16), nullable=False),
        sa.Column("notify_to", sa.String(length=2000), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_sla_policies")),
    )
    op.create_table(
        "eng_agents",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("away", sa.Boolean(), nullable=False),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "languages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("in_training", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_eng_agents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_eng_agents")),
    )
    op.create_table(
        "eng_canned_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shortcut", sa.String(length=50), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("resolve", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_eng_canned_responses_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_canned_responses")),
        sa.UniqueConstraint("shortcut", name=op.f("uq_eng_canned_responses_shortcut")),
    )
    op.create_table(
        "eng_queue_members",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["eng_queues.id"],
            name=op.f("fk_eng_queue_members_queue_id_eng_queues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_eng_queue_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("queue_id", "user_id", name=op.f("pk_eng_queue_members")),
    )
    op.create_table(
        "eng_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column(
            "intents",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("influence", sa.Float(), nullable=False),
        sa.Column("customer_value", sa.Float(), nullable=False),
        sa.Column("priority_score", sa.Float(), nullable=False),
        sa.Column("priority_label", sa.String(length=16), nullable=False),
        sa.Column("priority_boost", sa.Float(), nullable=False),
        sa.Column(
            "priority_reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sla_policy_id", sa.Integer(), nullable=True),
        sa.Column(
            "first_response_due", groundswell.core.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "next_response_due", groundswell.core.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "resolution_due", groundswell.core.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("next_due_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "first_responded_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("pending_since", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_customer_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_activity_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("opened_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_eng_cases_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_eng_cases_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["eng_queues.id"],
            name=op.f("fk_eng_cases_queue_id_eng_queues"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"],
            ["eng_sla_policies.id"],
            name=op.f("fk_eng_cases_sla_policy_id_eng_sla_policies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_cases")),
    )
    with op.batch_alter_table("eng_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_eng_cases_assignee_status", ["assignee_id", "status"], unique=False
        )
        batch_op.create_index("ix_eng_cases_contact", ["contact_id"], unique=False)
        batch_op.create_index("ix_eng_cases_queue_status", ["queue_id", "status"], unique=False)
        batch_op.create_index("ix_eng_cases_status_due", ["status", "next_due_at"], unique=False)
        batch_op.create_index(
            "ix_eng_cases_status_priority", ["status", "priority_score"], unique=False
        )
        batch_op.create_index("ix_eng_cases_priority", ["priority_score", "id"], unique=False)
        batch_op.create_index("ix_eng_cases_due", ["next_due_at", "id"], unique=False)

    op.create_table(
        "eng_case_conversations",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["eng_cases.id"],
            name=op.f("fk_eng_case_conversations_case_id_eng_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_eng_case_conversations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "case_id", "conversation_id", name=op.f("pk_eng_case_conversations")
        ),
    )
    with op.batch_alter_table("eng_case_conversations", schema=None) as batch_op:
        batch_op.create_index("ix_eng_case_conversations_conv", ["conversation_id"], unique=False)

    op.create_table(
        "eng_case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_eng_case_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["eng_cases.id"],
            name=op.f("fk_eng_case_events_case_id_eng_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_case_events")),
    )
    with op.batch_alter_table("eng_case_events", schema=None) as batch_op:
        batch_op.create_index("ix_eng_case_events_case", ["case_id", "id"], unique=False)

    op.create_table(
        "eng_csat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["eng_cases.id"],
            name=op.f("fk_eng_csat_case_id_eng_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_csat")),
        sa.UniqueConstraint("nonce", name=op.f("uq_eng_csat_nonce")),
    )
    op.create_table(
        "eng_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "mentions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_eng_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["eng_cases.id"],
            name=op.f("fk_eng_notes_case_id_eng_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_notes")),
    )
    with op.batch_alter_table("eng_notes", schema=None) as batch_op:
        batch_op.create_index("ix_eng_notes_case", ["case_id"], unique=False)

    op.create_table(
        "eng_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("in_reply_to_external_id", sa.String(length=200), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approval_reasons", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", groundswell.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["users.id"],
            name=op.f("fk_eng_replies_approved_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_eng_replies_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["eng_cases.id"],
            name=op.f("fk_eng_replies_case_id_eng_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_eng_replies_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_replies")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_eng_replies_idempotency_key")),
    )
    with op.batch_alter_table("eng_replies", schema=None) as batch_op:
        batch_op.create_index("ix_eng_replies_case", ["case_id"], unique=False)
        batch_op.create_index("ix_eng_replies_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "eng_rule_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("at", groundswell.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_eng_rule_applications_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eng_rule_applications")),
        sa.UniqueConstraint(
            "interaction_id",
            "rule_id",
            name=op.f("uq_eng_rule_applications_interaction_id_rule_id"),
        ),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.alter_column("alert_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.alter_column("alert_id", existing_type=sa.INTEGER(), nullable=False)

    op.drop_table("eng_rule_applications")
    with op.batch_alter_table("eng_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_eng_replies_due")
        batch_op.drop_index("ix_eng_replies_case")

    op.drop_table("eng_replies")
    with op.batch_alter_table("eng_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_eng_notes_case")

    op.drop_table("eng_notes")
    op.drop_table("eng_csat")
    with op.batch_alter_table("eng_case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_eng_case_events_case")

    op.drop_table("eng_case_events")
    with op.batch_alter_table("eng_case_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_eng_case_conversations_conv")

    op.drop_table("eng_case_conversations")
    with op.batch_alter_table("eng_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_eng_cases_status_priority")
        batch_op.drop_index("ix_eng_cases_priority")
        batch_op.drop_index("ix_eng_cases_due")
        batch_op.drop_index("ix_eng_cases_status_due")
        batch_op.drop_index("ix_eng_cases_queue_status")
        batch_op.drop_index("ix_eng_cases_contact")
        batch_op.drop_index("ix_eng_cases_assignee_status")

    op.drop_table("eng_cases")
    op.drop_table("eng_queue_members")
    op.drop_table("eng_canned_responses")
    op.drop_table("eng_agents")
    op.drop_table("eng_sla_policies")
    op.drop_table("eng_rules")
    op.drop_table("eng_reply_policy")
    op.drop_table("eng_queues")
