"""Saved views of the Listening page: a name for a subject, channel, range and resolution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class ListeningView(Base):
    """One user's saved Listening view.

    Views are personal (each analyst keeps the few they open every morning), so names are
    unique per user. A relative range (``24h``) stays relative; a custom one keeps its
    fixed ``start``/``end``, as a report on one incident would.
    """

    __tablename__ = "listening_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(64))
    range_key: Mapped[str] = mapped_column(String(16))
    resolution: Mapped[str] = mapped_column(String(4))
    start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
