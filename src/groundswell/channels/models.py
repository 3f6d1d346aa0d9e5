"""A channel is one network or source Groundswell listens to (twitter, email, import…)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """Stable slug used in payloads (``twitter``, ``mastodon``, ``email``)."""
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
