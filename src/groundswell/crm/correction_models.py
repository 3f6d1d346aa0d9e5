"""Agents' and analysts' corrections of a post's sentiment or intent.

Kept apart from the interaction so the model's own output stays visible next to the
human judgement, and so training can use every correction with who made it and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class Correction(Base):
    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_interaction", "interaction_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    intents: Mapped[list[str] | None] = mapped_column(JSONType)
    previous_sentiment: Mapped[str | None] = mapped_column(String(16))
    previous_intents: Mapped[list[str] | None] = mapped_column(JSONType)
    model_version: Mapped[str | None] = mapped_column(String(80))
    """The enricher version whose output was corrected."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
