"""Digest subscriptions and the periods already sent to each.

``digest_sends`` has one row per subscription × period, unique: the scheduler inserts it in
the same transaction that queues the e-mail, so two workers or a restart never queue the
same period twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class DigestSubscription(Base):
    """Who gets which brand's digest, how often, and at what local hour."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("email", "subject_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))
    """``day`` or ``week`` (weeks start on Monday, in the recipient's time zone)."""
    send_hour: Mapped[int] = mapped_column(Integer, default=7)
    """Local hour (0–23) at which the previous period's digest goes out."""
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    """An IANA zone name, checked with ``zoneinfo``."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DigestSend(Base):
    """One period of one subscription, queued for sending (at most once)."""

    __tablename__ = "digest_sends"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_start"),
        Index("ix_digest_sends_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE")
    )
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    """The notify outbox row carrying the e-mail."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
