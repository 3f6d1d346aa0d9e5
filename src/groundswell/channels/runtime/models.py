"""Connected channel accounts and the sources the runner reads for them.

One ``ChannelAccount`` is one connected instance of a network (a mailbox, an X account)
with its non-secret configuration, its credentials encrypted at rest, and its monthly
budget. Each account has one ``ChannelSource`` per thing the runner reads (an inbox,
the mentions timeline, the filtered stream), each with its own cursor and lease, so
several runner processes share the work without reading one source twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class ChannelAccount(Base):
    __tablename__ = "channel_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """The channel slug its posts carry and replies are routed by (``twitter``, ``email``)."""
    kind: Mapped[str] = mapped_column(String(32))
    """Which connector serves it (``email``, ``x``…), see ``channels.runtime.kinds``."""
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """Non-secret settings; secrets live only in ``credentials``."""
    credentials: Mapped[str | None] = mapped_column(Text, default=None)
    """Fernet token of the JSON secrets; never logged, never returned by the API."""
    status: Mapped[str] = mapped_column(String(32), default="new")
    """new, ok, degraded, error, needs_reauth, paused."""
    status_detail: Mapped[str | None] = mapped_column(Text, default=None)
    monthly_budget: Mapped[float | None] = mapped_column(Float, default=None)
    cost_per_read: Mapped[float] = mapped_column(Float, default=0.0)
    budget_month: Mapped[str | None] = mapped_column(String(7), default=None)
    budget_used: Mapped[float] = mapped_column(Float, default=0.0)
    rate_limits: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    """Changes when config or credentials change: runners rebuild the connector then."""


class ChannelSource(Base):
    __tablename__ = "channel_sources"
    __table_args__ = (UniqueConstraint("account_id", "name", name="uq_channel_sources_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    activity: Mapped[str] = mapped_column(String(32), default="mentions")
    """search, mentions or dms: what the budget sheds first (see ``runtime.budget``)."""
    cursor: Mapped[str | None] = mapped_column(Text, default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """Creation time of the newest post read."""
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When posts were last read: ``last_read_at - last_event_at`` is the lag."""
    posts_total: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    """Consecutive failures; drives the back-off and resets on success."""
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
