"""What admins configure: rules, SLA policies and schedules, canned responses, policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class Rule(Base):
    __tablename__ = "eng_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    stop: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RuleApplication(Base):
    """A rule applied to an interaction: redelivered events find it and do nothing."""

    __tablename__ = "eng_rule_applications"
    __table_args__ = (UniqueConstraint("interaction_id", "rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(Integer)
    """0 marks "rules evaluated, none matched"."""
    case_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaPolicy(Base):
    """Targets in business minutes for a priority and/or channel (None: any)."""

    __tablename__ = "eng_sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(64))
    first_response_min: Mapped[int] = mapped_column(Integer)
    next_response_min: Mapped[int | None] = mapped_column(Integer)
    resolution_min: Mapped[int | None] = mapped_column(Integer)
    warn_before_min: Mapped[int] = mapped_column(Integer, default=15)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    hours: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    """``{"mon": "09:00-17:00", …}``; empty: open around the clock."""
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    notify_kind: Mapped[str] = mapped_column(String(16), default="in_app")
    notify_to: Mapped[str | None] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CannedResponse(Base):
    __tablename__ = "eng_canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    shortcut: Mapped[str] = mapped_column(String(50), unique=True)
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """A macro: tags the case when used."""
    resolve: Mapped[bool] = mapped_column(Boolean, default=False)
    """A macro: resolves the case when used."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReplyPolicyRow(Base):
    """The single reply policy (id 1); absent means the defaults in ``reply_policy``."""

    __tablename__ = "eng_reply_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    may_reply: Mapped[dict[str, list[str]]] = mapped_column(JSONType)
    approval_influence: Mapped[float | None] = mapped_column(Float)
    approve_negative_in_alert: Mapped[bool] = mapped_column(Boolean, default=True)
    approve_trainees: Mapped[bool] = mapped_column(Boolean, default=True)
    reopen_window_h: Mapped[int] = mapped_column(Integer, default=72)
