"""Identity resolution state: candidate pairs with their evidence, and the merge log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class MatchCandidate(Base):
    """Two contacts the matcher thinks may be one person (``left < right``).

    ``status``: ``pending`` (in the review queue), ``merged`` (by a person or
    automatically), ``rejected`` ("not the same person": never proposed again).
    """

    __tablename__ = "match_candidates"
    __table_args__ = (
        UniqueConstraint("left_contact_id", "right_contact_id"),
        Index("ix_match_candidates_status", "status", "probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    left_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    right_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    probability: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """One entry per compared field: its values, the agreement level and its weight."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))


class MergeEvent(Base):
    """One merge, with what moved, so unmerge can put every row back (the audit trail)."""

    __tablename__ = "merge_events"
    __table_args__ = (Index("ix_merge_events_kept", "kept_contact_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_contact_id: Mapped[int] = mapped_column(Integer)
    merged_contact_id: Mapped[int] = mapped_column(Integer)
    candidate_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    """``user:<email>`` or ``matcher`` for an automatic merge."""
    reason: Mapped[str] = mapped_column(String(500))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """Ids of the identities, keys, interactions, conversations and transactions moved."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by: Mapped[str | None] = mapped_column(String(200))


class MatchKey(Base):
    """A blocking key of a contact (crm/matching/scoring.py ``blocking_keys``).

    Kept in a table so a new identity finds the few contacts worth comparing with one
    indexed lookup, however many contacts there are.
    """

    __tablename__ = "match_keys"
    __table_args__ = (Index("ix_match_keys_contact_id", "contact_id"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
