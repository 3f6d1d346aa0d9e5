"""CRM sync state: connections, the id mapping, the outbound queue and conflicts.

``crm_links`` maps one local record (contact, case, interaction) to its id in one remote
CRM, with the hash of what was last pushed (so an unchanged record is never sent again)
and the shared field values both sides agreed on at the last sync (the base a three-way
comparison needs to tell "remote changed" from "local changed" from "both changed").
``crm_outbox`` holds what still has to be pushed; a row leaves it only in the
transaction that records the push, so a crash re-sends (idempotently) rather than loses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class CrmConnection(Base):
    __tablename__ = "crm_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    system: Mapped[str] = mapped_column(String(16))
    """``salesforce`` or ``hubspot``."""
    base_url: Mapped[str] = mapped_column(String(500))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """Non-secret settings (client id, scope); secrets live only in ``credentials``."""
    credentials: Mapped[str | None] = mapped_column(Text, default=None)
    """Fernet token of the JSON secrets; never logged, never returned by the API."""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(32), default="new")
    """new, ok, error, rate_limited, needs_reauth, paused."""
    status_detail: Mapped[str | None] = mapped_column(Text, default=None)
    pull_cursor: Mapped[str | None] = mapped_column(String(64), default=None)
    """The newest remote modification time read (ISO 8601, UTC)."""
    push_watermark: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """Local changes up to this time were queued for pushing."""
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    pushed_total: Mapped[int] = mapped_column(Integer, default=0)
    pulled_total: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CrmLink(Base):
    __tablename__ = "crm_links"
    __table_args__ = (
        UniqueConstraint("connection_id", "local_kind", "local_id"),
        Index("ix_crm_links_remote", "connection_id", "local_kind", "remote_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"))
    local_kind: Mapped[str] = mapped_column(String(16))
    """``contact``, ``case`` or ``interaction``."""
    local_id: Mapped[int] = mapped_column(Integer)
    remote_id: Mapped[str] = mapped_column(String(64))
    pushed_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    local_version: Mapped[int] = mapped_column(Integer, default=0)
    """The case version last pushed (cases change without a timestamp column)."""
    base: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """Shared field values both sides held at the last sync (the three-way base)."""
    remote_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """CRM-owned values read at the last pull (company, owner), shown beside the contact."""
    remote_modified_at: Mapped[str | None] = mapped_column(String(64), default=None)


class CrmOutbox(Base):
    __tablename__ = "crm_outbox"
    __table_args__ = (UniqueConstraint("connection_id", "local_kind", "local_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"))
    local_kind: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[int] = mapped_column(Integer)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class CrmConflict(Base):
    """One field both sides changed since the last sync: neither value is applied."""

    __tablename__ = "crm_conflicts"
    __table_args__ = (Index("ix_crm_conflicts_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"))
    link_id: Mapped[int] = mapped_column(ForeignKey("crm_links.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    base_value: Mapped[str | None] = mapped_column(Text)
    local_value: Mapped[str | None] = mapped_column(Text)
    remote_value: Mapped[str | None] = mapped_column(Text)
    local_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remote_changed_at: Mapped[str | None] = mapped_column(String(64))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")
    """``open`` or ``resolved``."""
    resolution: Mapped[str | None] = mapped_column(String(16))
    """``keep_local`` or ``take_remote``."""
    resolved_by: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
