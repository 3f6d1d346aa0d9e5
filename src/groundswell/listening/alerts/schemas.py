"""Shapes of alerts, rules, suppressions and deliveries at the edges (API, pages).

Rule targets are validated here, when a person types them, so the dispatcher never
meets an address it cannot even try: an email target must look like an address, a
webhook or Slack target must be an absolute http(s) URL.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from groundswell.core.bounds import Id
from groundswell.core.textguard import refuse_control, strip_control

Metric = Literal["volume", "negative", "net_sentiment"]
AlertStatus = Literal["open", "ongoing", "resolved"]
TargetKind = Literal["email", "webhook", "slack", "in_app"]
DeliveryStatus = Literal["pending", "sent", "failed", "dead"]
AlertEvent = Literal["opened", "escalated", "resolved"]
ALL_METRICS: tuple[Metric, ...] = ("volume", "negative", "net_sentiment")

METRIC_LABELS: dict[str, str] = {
    "volume": "Posts",
    "negative": "Negative posts",
    "net_sentiment": "Net sentiment",
}
_EMAIL = re.compile(
    r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


def drilldown_path(alert_id: int) -> str:
    """Where an alert's evidence is explained; the drill-down page owns this path."""
    return f"/drilldown?alert_id={alert_id}"


def _strip(value: str) -> str:
    return value.strip()


def _strip_control(value: str | None) -> str | None:
    return None if value is None else strip_control(value)


Name = Annotated[
    str, AfterValidator(_strip), AfterValidator(refuse_control), Field(min_length=1, max_length=200)
]
Severity = Annotated[int, Field(ge=1, le=10)]


def check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


class AlertTarget(BaseModel):
    """Where one rule sends its notifications."""

    model_config = ConfigDict(extra="forbid")

    kind: TargetKind
    to: Annotated[str, AfterValidator(refuse_control)] = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _check_to(self) -> AlertTarget:
        self.to = self.to.strip()
        if self.kind == "email":
            if not _EMAIL.fullmatch(self.to):
                raise ValueError(f"{self.to!r} is not an email address")
        elif self.kind in ("webhook", "slack"):
            check_http_url(self.to)
        else:
            self.to = ""
        return self


def _unique_metrics(value: list[Metric]) -> list[Metric]:
    return list(dict.fromkeys(value))


def _unique_ids(value: list[int] | None) -> list[int] | None:
    if value is None:
        return None
    if any(v < 1 for v in value):
        raise ValueError("subject ids are positive integers")
    return list(dict.fromkeys(value))


Metrics = Annotated[list[Metric], AfterValidator(_unique_metrics), Field(min_length=1)]
SubjectIds = Annotated[list[Id] | None, AfterValidator(_unique_ids)]
Targets = Annotated[list[AlertTarget], Field(max_length=20)]


class AlertRuleCreate(BaseModel):
    """Which spikes matter to whom. ``subject_ids`` None means every subject."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    subject_ids: SubjectIds = None
    metrics: Metrics = Field(default_factory=lambda: list(ALL_METRICS))
    min_severity: Severity = 1
    targets: Targets = Field(default_factory=list)
    active: bool = True


class AlertRuleUpdate(BaseModel):
    """A partial change; ``subject_ids`` is applied when present, even as null (= all)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    subject_ids: SubjectIds = None
    metrics: Metrics | None = None
    min_severity: Severity | None = None
    targets: Targets | None = None
    active: bool | None = None


class AlertRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    subject_ids: list[int] | None
    metrics: list[str]
    min_severity: int
    targets: list[AlertTarget]
    active: bool
    created_at: datetime


class AnomalyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject_id: int
    metric: str
    minute: datetime
    expected: float
    observed: float
    severity: int
    p_value: float | None
    alert_id: int | None


class JoinedMetric(BaseModel):
    """A metric of the subject that moved during the episode after it opened, at the
    most extreme minute of its own."""

    metric: str
    label: str
    observed: float
    expected: float


class AlertRead(BaseModel):
    """An alert as lists and the API show it, with the names a reader needs."""

    id: int
    subject_id: int
    subject_name: str
    metric: str
    """The metric the episode opened on; ``observed``/``expected`` are its."""
    metric_label: str
    joined: list[JoinedMetric] = []
    """The subject's other metrics that moved in the same episode (one alert per burst)."""
    metrics_label: str = ""
    """Every metric of the episode in words: "Posts + negative posts"."""
    status: str
    severity: int
    started_at: datetime
    last_anomaly_at: datetime
    resolved_at: datetime | None
    expected: float
    observed: float
    summary: str | None
    acknowledged_by: int | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    assigned_to: int | None
    assigned_to_name: str | None
    drilldown_url: str


class DeliveryRead(BaseModel):
    """One notification attempt record. The target is shown shortened: webhook URLs
    (Slack's especially) carry their secret in the path."""

    id: int
    alert_id: int
    rule_id: int | None
    event: str
    kind: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class AlertDetail(AlertRead):
    anomalies: list[AnomalyRead]
    deliveries: list[DeliveryRead]


class AlertPage(BaseModel):
    items: list[AlertRead]
    total: int
    limit: int
    offset: int


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    total: int
    limit: int
    offset: int


AlertSort = Literal["severity", "recent"]
"""``severity``: highest peak severity first, then newest; ``recent``: newest first."""


class AlertFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[AlertStatus] | None = None
    subject_id: int | None = Field(default=None, ge=0)
    metric: Metric | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
    sort: AlertSort = "severity"


class DeliveryFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: DeliveryStatus | None = None
    alert_id: int | None = Field(default=None, ge=1)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id | None = None
    """None takes the assignment away."""


class SuppressRequest(BaseModel):
    """Silence an alert's subject (and metric, unless ``all_metrics``) for a while."""

    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    all_metrics: bool = False
    reason: Annotated[str | None, AfterValidator(_strip_control)] = Field(
        default=None, max_length=1000
    )


class SuppressionCreate(BaseModel):
    """A window without new alerts. ``subject_id``/``metric`` None mean all of them."""

    model_config = ConfigDict(extra="forbid")

    subject_id: Id | None = None
    metric: Metric | None = None
    starts_at: AwareDatetime | None = None
    until: AwareDatetime
    reason: Annotated[str | None, AfterValidator(_strip_control)] = Field(
        default=None, max_length=1000
    )

    @field_validator("reason")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _order(self) -> SuppressionCreate:
        if self.starts_at is not None and self.until <= self.starts_at:
            raise ValueError("until must be later than starts_at")
        return self


class SuppressionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject_id: int | None
    metric: str | None
    starts_at: datetime
    until: datetime
    reason: str | None
    created_by: int | None
    created_at: datetime
