"""The outbox of notifications: one row per event × target, sent later by the dispatcher.

The table keeps its historical name (``alert_deliveries``): alerts were its first writer.
The row refers to the alert that caused it by id only; notify imports no domain above it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class Delivery(Base):
    """One notification of one event to one target, retried with back-off."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    """The alert announced, if an alert; None for other events (an SLA breach…)."""
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(32))
    """``opened``, ``escalated``, ``resolved``, ``sla_warning``, ``sla_breached``…"""
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, ``sent``, ``failed`` (will retry) or ``dead`` (gave up; visible)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    subscription_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """For a domain event (kind ``event``): the subscription it goes to.

    No foreign key on purpose: emitters read subscriptions from a cache a few seconds
    old, and a row written for a subscription deleted meanwhile must not fail the
    transaction it rides in (an ingest batch); the dispatcher marks it dead instead."""


class WebhookSubscription(Base):
    """An admin's outbound webhook: which domain events to post where.

    The signing secret is not stored: it is derived from the instance webhook key and
    ``secret_salt`` (see ``notify.events.subscription_secret``), shown once at creation.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secret_salt: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
