"""Spike detection state, detected anomalies, alerts and their delivery.

An alert is one episode (open → ongoing → resolved) of one subject: it opens on one
metric, and the subject's other metrics that move while it is open join it; the
anomaly rows are the minute-level evidence behind it, and deliveries record every
notification attempt so none is lost silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow
from groundswell.notify.models import Delivery

METRICS = ("volume", "negative", "net_sentiment")
ALERT_STATUSES = ("open", "ongoing", "resolved")


class DetectorState(Base):
    """The streaming detector's learned baseline for one subject × metric (× channel)."""

    __tablename__ = "detector_states"

    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    """0 means all channels together."""
    last_minute: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[str] = mapped_column(String(40))


class Anomaly(Base):
    """One minute judged anomalous for a subject × metric, with expected vs observed."""

    __tablename__ = "anomalies"
    __table_args__ = (
        Index("ix_anomalies_subject_minute", "subject_id", "metric", "minute", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(32))
    minute: Mapped[datetime] = mapped_column(UTCDateTime())
    expected: Mapped[float] = mapped_column(Float)
    observed: Mapped[float] = mapped_column(Float)
    severity: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float | None] = mapped_column(Float)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))


class AlertRule(Base):
    """Which spikes matter to whom: subjects, metrics, minimum severity, where to tell."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    subject_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    """None means every subject."""
    metrics: Mapped[list[str]] = mapped_column(JSONType, default=lambda: list(METRICS))
    min_severity: Mapped[int] = mapped_column(Integer, default=1)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """``[{"kind": "email"|"webhook"|"slack"|"in_app", "to": …, "secret_ref": …}]``."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_subject_metric_status", "subject_id", "metric", "status"),
        Index("ix_alerts_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer)
    """The subject, or ``ALL_POSTS`` (0) for overall volume, which has no subject row; a
    deleted subject's alerts are deleted with it by ``delete_subject``."""
    metric: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    severity: Mapped[int] = mapped_column(Integer)
    """The episode's highest severity so far (1–10)."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_anomaly_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expected: Mapped[float] = mapped_column(Float)
    observed: Mapped[float] = mapped_column(Float)
    summary: Mapped[str | None] = mapped_column(Text)
    joined: Mapped[dict[str, list[float]] | None] = mapped_column(JSONType)
    """Other metrics of this subject that moved during the episode, each with the observed
    and expected values of its own most extreme minute: ``{"negative": [19, 0.39]}``. A
    surge of complaints is one alert (posts, joined by negative posts), not two."""
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertSuppression(Base):
    """No new alert for a subject (and metric, or all) until ``until``."""

    __tablename__ = "alert_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    metric: Mapped[str | None] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


AlertDelivery = Delivery
"""Alert notifications are rows of notify's outbox (``alert_deliveries``)."""
