"""The customer record: contacts, accounts, identities, conversations, interactions.

Interactions are the high-volume, append-mostly table; its indexes serve the timeline
(contact, time), threading (conversation) and the stream (time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class Account(Base):
    """An organisation a contact belongs to (a B2B customer, a household…)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    merged_into_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """Set while this contact is merged into another (kept so unmerge restores the id)."""
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Bumped by every merge and unmerge: a concurrent merge of the same contact fails."""


class ContactKey(Base):
    """An exact key (normalised email or E.164 phone) that identifies one contact.

    Unique per (kind, value): the first contact to show a key owns it, and later
    identities carrying the same key are linked to that contact.
    """

    __tablename__ = "contact_keys"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(64))
    """Where the key was seen: ``post:<interaction external id>`` or ``profile``."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Identity(Base):
    """One handle on one platform; linked to the contact it belongs to."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("ix_identities_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(300))
    followers: Mapped[int | None] = mapped_column(Integer)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_url: Mapped[str | None] = mapped_column(String(2000))
    bio: Mapped[str | None] = mapped_column(Text)
    """The profile's self-description; links in it are matching evidence."""
    location: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_brand: Mapped[bool] = mapped_column(Boolean, default=False)
    """Our own accounts (authors of outbound posts); never become contacts."""
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    linked_by: Mapped[str | None] = mapped_column(String(400))
    """Why the identity points at its contact: ``new`` or ``email:…`` / ``phone:…``."""
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Conversation(Base):
    """A thread: the root post and every reply reachable from it by reply-to ids."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel_id", "root_external_id"),
        Index("ix_conversations_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    root_external_id: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Interaction(Base):
    """One post or message, inbound or outbound, with its enrichment."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        Index("ix_interactions_created_at", "created_at"),
        Index("ix_interactions_contact_created", "contact_id", "created_at"),
        Index("ix_interactions_conversation_id", "conversation_id"),
        Index("ix_interactions_identity_id", "identity_id"),
        Index("ix_interactions_contact_conversation", "contact_id", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(3))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    text: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A one-to-one message (DM, e-mail, SMS, chat): text shown only to roles that may
    read private messages (``crm.visibility``). Decided per message when stored."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    url: Mapped[str | None] = mapped_column(String(2000))
    reply_to_external_id: Mapped[str | None] = mapped_column(String(200))
    likes: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(64))
    """The main intent (highest probability); ``None`` means not classified."""
    intents: Mapped[dict[str, float] | None] = mapped_column(JSONType)
    """Every intent above its threshold, with its probability (multi-label)."""
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    """Calibrated probability of ``sentiment_label`` (None for the lexicon)."""
    sentiment_model: Mapped[str | None] = mapped_column(String(80))
    flags: Mapped[list[str] | None] = mapped_column(JSONType)
    """Enrichment caveats, e.g. ``unsupported_language``, ``empty_text``, ``truncated``."""
    subject_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    entities: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    influence: Mapped[float] = mapped_column(Float, default=0.0)
    enrichment_versions: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class InteractionSubject(Base):
    """Which tracked subjects a post matched; lets the stream filter by subject."""

    __tablename__ = "interaction_subjects"
    __table_args__ = (Index("ix_interaction_subjects_subject", "subject_id", "interaction_id"),)

    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
