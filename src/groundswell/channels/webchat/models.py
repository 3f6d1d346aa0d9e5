"""Web chat conversations and their messages, both ways.

The widget has no network of its own to hold messages, so this package is the network:
a visitor's message is stored here (and published to the pipeline like any inbound post),
and an agent's reply is stored here by the connector, where the visitor's widget fetches
it. A message's id is the visitor's cursor. ``client_id`` (unique per conversation) makes
a re-sent visitor message a no-op; ``idempotency_key`` (unique) makes a re-sent reply one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class WebchatConversation(Base):
    __tablename__ = "webchat_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_key: Mapped[str] = mapped_column(String(64), index=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    """Public, random name of the conversation: the thread root its posts reply to."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the visitor's token; the token itself is never stored."""
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    """The visitor agreed to be contacted later (by e-mail), not only answered here."""
    origin: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebchatMessage(Base):
    __tablename__ = "webchat_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("webchat_conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))
    """``in`` from the visitor, ``out`` from an agent."""
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    client_id: Mapped[str | None] = mapped_column(String(64), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None, unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
