"""Saved segments of contacts and the sales leads made from purchase-intent posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class Segment(Base):
    """A named, saved filter over contacts (``crm/segments.py`` ``SegmentFilter``).

    Only the filter is stored, never the member list: membership is evaluated when the
    segment is used, so it follows the contacts as their value and talk change.
    """

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filter: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Lead(Base):
    """A purchase-intent post turned over to sales, with its author's contact and account.

    One open lead per contact: later intent posts while a lead is ``new`` or ``contacted``
    belong to the same episode. ``qualified`` and ``lost`` close the episode
    (``closed_at``); intent posts after that open a new one.
    """

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_contact", "contact_id", "id"),
        Index("ix_leads_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    intent_posts: Mapped[int] = mapped_column(Integer, default=1)
    """How many purchase-intent posts the episode has seen (the first one included)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
