"""Tracked subjects and their per-minute rollups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow

ALL_POSTS = 0
"""``subject_id`` of the rollup rows that count every post, whatever it matched."""


class Subject(Base):
    """A brand, product, competitor or topic, defined by a boolean query."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="topic")
    query: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MinuteRollup(Base):
    """Posts per minute, per subject, channel and sentiment label, with the score sum.

    Dashboards read these instead of scanning posts. Rows are incremented only for
    interactions that were newly inserted, so redelivery never double counts.
    """

    __tablename__ = "minute_rollups"
    __table_args__ = (Index("ix_minute_rollups_subject_minute", "subject_id", "minute"),)

    minute: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sentiment_label: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    sentiment_sum: Mapped[float] = mapped_column(Float, default=0.0)
