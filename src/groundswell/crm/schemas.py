"""Read shapes of the customer record for the API and the web pages.

Routes and templates receive these, never ORM objects, so a lazy load can never fire
after the session closed and a template can never reach a column it should not show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["in", "out"]
SentimentLabel = Literal["negative", "neutral", "positive"]


class ChannelRef(BaseModel):
    """A channel as a filter choice."""

    key: str
    name: str


class SubjectRef(BaseModel):
    """A matched subject, just enough to label a post."""

    id: int
    name: str


class InteractionRead(BaseModel):
    """One post or message as the stream and the timeline show it."""

    id: int
    channel_key: str
    channel_name: str
    external_id: str
    direction: str
    text: str
    private: bool = False
    """A one-to-one message: its text and link are withheld from roles that may not
    read private messages (``crm.visibility.redact``)."""
    created_at: datetime
    url: str | None
    identity_id: int | None
    author_handle: str | None
    author_display_name: str | None
    contact_id: int | None
    conversation_id: int | None
    reply_to_external_id: str | None
    language: str | None
    sentiment_score: float | None
    sentiment_label: str | None
    intent: str | None
    intents: list[str] = Field(default_factory=list)
    """Every intent judged present, most probable first."""
    sentiment_confidence: float | None = None
    sentiment_model: str | None = None
    """The enricher version that labelled the sentiment, or ``human`` once corrected."""
    corrected_by: str | None = None
    """Name of whoever last corrected the post's sentiment or intents."""
    flags: list[str] = Field(default_factory=list)
    """Enrichment caveats: ``unreadable``, ``outbound``, ``unsupported_language``, …"""
    likes: int
    shares: int
    replies: int
    subjects: list[SubjectRef] = Field(default_factory=list)


class StreamFilter(BaseModel):
    """What the stream shows: optional filters plus one of two cursors.

    ``after_id`` asks for posts newer than the last one shown (live polling);
    ``before_id`` asks for the page older than the last one shown (pagination).
    """

    model_config = ConfigDict(extra="forbid")

    subject_id: int | None = None
    channel: str | None = Field(default=None, max_length=64)
    sentiment: SentimentLabel | None = None
    after_id: int | None = Field(default=None, ge=0)
    before_id: int | None = Field(default=None, ge=1)
    limit: int = Field(default=50, ge=1, le=500)


class InteractionPage(BaseModel):
    items: list[InteractionRead]
    next_cursor: str | None
    """Pass back as ``cursor`` for the next, older page; ``None`` on the last page."""


class IdentityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: str
    external_id: str
    handle: str | None
    display_name: str | None
    followers: int | None
    verified: bool
    profile_url: str | None
    is_brand: bool
    linked_by: str | None
    first_seen: datetime
    last_seen: datetime


class ContactKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    value: str
    source: str
    created_at: datetime


class ContactDetail(BaseModel):
    """A contact with everything that says who they are; the timeline is separate."""

    id: int
    display_name: str | None
    email: str | None
    phone: str | None
    account_id: int | None
    account_name: str | None
    created_at: datetime
    updated_at: datetime
    identities: list[IdentityRead]
    keys: list[ContactKeyRead]
    interaction_count: int


class ContactSummary(BaseModel):
    """One row of the contacts list."""

    id: int
    display_name: str | None
    email: str | None
    handles: list[str]
    interaction_count: int
    last_activity_at: datetime | None


class Timeline(BaseModel):
    contact_id: int
    items: list[InteractionRead]
    has_more: bool
    """True when older interactions exist than the ``limit`` most recent ones returned."""
