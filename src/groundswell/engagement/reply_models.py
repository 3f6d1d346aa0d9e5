"""The reply outbox and CSAT surveys.

A reply is stored at once as an outbound interaction plus an outbox row. The row's
``idempotency_key`` never changes, so a retry or a restart sends the same key, and its
state says exactly where it is: ``awaiting_approval`` → ``queued`` → ``sending`` →
``sent`` (with the network's id) or ``failed`` (with the reason); ``needs_check`` when the
network cannot say whether an in-doubt reply went out; ``rejected`` by an approver.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow

REPLY_STATES = (
    "awaiting_approval",
    "queued",
    "sending",
    "sent",
    "failed",
    "needs_check",
    "rejected",
)


class OutboundReply(Base):
    __tablename__ = "eng_replies"
    __table_args__ = (
        Index("ix_eng_replies_due", "status", "next_attempt_at"),
        Index("ix_eng_replies_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("eng_cases.id", ondelete="CASCADE"))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(8), default="public")
    in_reply_to_external_id: Mapped[str | None] = mapped_column(String(200))
    recipient: Mapped[str | None] = mapped_column(String(320))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    approval_reasons: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    last_error: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="reply")
    """``reply``, ``ack`` (automatic acknowledgement) or ``csat`` (survey link)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CsatSurvey(Base):
    """One survey per resolution; the link carries a signed token, used once."""

    __tablename__ = "eng_csat"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("eng_cases.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
