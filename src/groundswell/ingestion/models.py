"""Dead letters: every record refused at the edge or in the pipeline, with its reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class RejectedRecord(Base):
    __tablename__ = "rejected_records"
    __table_args__ = (Index("ix_rejected_records_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    """Where it came from: ``api``, ``import:<file>``, ``replay``, ``pipeline``."""
    record_ref: Mapped[str] = mapped_column(String(300))
    """Which record: ``line 12``, ``row 7``, ``item 3``, or ``channel/external id``."""
    field: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    """The record as received (truncated, decoded with replacement characters)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
