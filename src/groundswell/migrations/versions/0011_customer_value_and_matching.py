"""customer value (transactions, CLV fits) and identity matching (candidates, merges)

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import groundswell.core.base

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = groundswell.core.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=320), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_transactions_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_transactions_source_external_id")
        ),
    )
    op.create_index("ix_transactions_contact_day", "transactions", ["contact_id", "occurred_on"])
    op.create_table(
        "clv_model_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", _TS, nullable=False),
        sa.Column("triggered_by", sa.String(length=200), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("repeat_customers", sa.Integer(), nullable=False),
        sa.Column("horizon_weeks", sa.Float(), nullable=False),
        sa.Column("annual_discount_rate", sa.Float(), nullable=False),
        sa.Column("r", sa.Float(), nullable=True),
        sa.Column("alpha", sa.Float(), nullable=True),
        sa.Column("a", sa.Float(), nullable=True),
        sa.Column("b", sa.Float(), nullable=True),
        sa.Column("bgnbd_log_likelihood", sa.Float(), nullable=True),
        sa.Column("p", sa.Float(), nullable=True),
        sa.Column("q", sa.Float(), nullable=True),
        sa.Column("gamma", sa.Float(), nullable=True),
        sa.Column("gamma_gamma_log_likelihood", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clv_model_runs")),
    )
    op.create_table(
        "customer_values",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("repeat_purchases", sa.Integer(), nullable=False),
        sa.Column("total_amount", sa.Float(), nullable=False),
        sa.Column("first_purchase", sa.Date(), nullable=False),
        sa.Column("last_purchase", sa.Date(), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=False),
        sa.Column("expected_purchases", sa.Float(), nullable=False),
        sa.Column("expected_spend", sa.Float(), nullable=False),
        sa.Column("clv", sa.Float(), nullable=False),
        sa.Column("computed_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_customer_values_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["clv_model_runs.id"],
            name=op.f("fk_customer_values_run_id_clv_model_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_customer_values")),
    )
    op.create_table(
        "match_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("left_contact_id", sa.Integer(), nullable=False),
        sa.Column("right_contact_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["left_contact_id"],
            ["contacts.id"],
            name=op.f("fk_match_candidates_left_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["right_contact_id"],
            ["contacts.id"],
            name=op.f("fk_match_candidates_right_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_candidates")),
        sa.UniqueConstraint(
            "left_contact_id",
            "right_contact_id",
            name=op.f("uq_match_candidates_left_contact_id_right_contact_id"),
        ),
    )
    op.create_index("ix_match_candidates_status", "match_candidates", ["status", "probability"])
    op.create_table(
        "merge_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_contact_id", sa.Integer(), nullable=False),
        sa.Column("merged_contact_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("snapshot", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("undone_at", _TS, nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_events")),
    )
    op.create_index("ix_merge_events_kept", "merge_events", ["kept_contact_id", "id"])
    op.create_table(
        "match_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_match_keys_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "contact_id", name=op.f("pk_match_keys")),
    )
    op.create_index("ix_match_keys_contact_id", "match_keys", ["contact_id"])
    op.create_table(
        "contact_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_tags_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_tags")),
    )
    op.create_index("ix_contact_tags_contact", "contact_tags", ["contact_id"])
    op.create_index("ix_contact_tags_tag", "contact_tags", ["tag"])
    op.create_table(
        "contact_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_notes_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_notes")),
    )
    op.create_index("ix_contact_notes_contact", "contact_notes", ["contact_id", "id"])
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["identities.id"],
            name=op.f("fk_consents_identity_id_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_identity_purpose", "consents", ["identity_id", "purpose", "id"])
    # The contact page's "our replies in their threads" reads the contact's thread ids
    # from this index alone instead of visiting every one of their interactions.
    op.create_index(
        "ix_interactions_contact_conversation",
        "interactions",
        ["contact_id", "conversation_id"],
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("merged_into_id")
    op.drop_index("ix_interactions_contact_conversation", table_name="interactions")
    op.drop_index("ix_consents_identity_purpose", table_name="consents")
    op.drop_table("consents")
    op.drop_table("privacy_requests")
    op.drop_index("ix_contact_notes_contact", table_name="contact_notes")
    op.drop_table("contact_notes")
    op.drop_index("ix_contact_tags_tag", table_name="contact_tags")
    op.drop_index("ix_contact_tags_contact", table_name="contact_tags")
    op.drop_table("contact_tags")
    op.drop_index("ix_match_keys_contact_id", table_name="match_keys")
    op.drop_table("match_keys")
    op.drop_index("ix_merge_events_kept", table_name="merge_events")
    op.drop_table("merge_events")
    op.drop_index("ix_match_candidates_status", table_name="match_candidates")
    op.drop_table("match_candidates")
    op.drop_table("customer_values")
    op.drop_table("clv_model_runs")
    op.drop_index("ix_transactions_contact_day", table_name="transactions")
    op.drop_table("transactions")
