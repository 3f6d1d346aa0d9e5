"""Consent per identity and purpose, with where it came from and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class Consent(Base):
    """One statement of consent (or its withdrawal); the latest per purpose counts.

    Rows are appended, never updated, so the history of what the person said stays.
    """

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_identity_purpose", "identity_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    """``service`` (answering them) or ``marketing`` (reaching out unasked)."""
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(200))
    """Where it was given: ``form:<link id>``, ``agent:<email>``, ``import:<file>``…"""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
