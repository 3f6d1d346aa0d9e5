"""What a digest holds, and the subscription forms, as pydantic models (API and pages)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groundswell.analytics.digest.period import UnknownTimeZoneError, zone
from groundswell.auth.schemas import refuse_control_characters


class Figure(BaseModel):
    """A value against its comparison (baseline or previous period); None: no data."""

    value: float | None
    baseline: float | None
    change: float | None = None
    """Relative change (0.25 = +25 %) when both sides are known and the baseline is not 0."""


class AlertLine(BaseModel):
    id: int
    metric: str
    severity: int
    status: str
    started_at: datetime
    summary: str


class VoiceLine(BaseModel):
    subject_id: int
    name: str
    kind: str
    volume: int
    share: float | None
    previous_share: float | None


class Moved(BaseModel):
    volume: Figure
    negative_share: Figure
    net_sentiment: Figure
    baseline_label: str
    hourly_volume: list[int]
    hourly_baseline: list[float | None]
    alerts: list[AlertLine]
    alerts_total: int
    share_of_voice: list[VoiceLine]


class Theme(BaseModel):
    label: str
    posts: int
    negative_share: float | None = None


class SamplePost(BaseModel):
    text: str
    channel: str
    author: str | None
    sentiment: str


class Why(BaseModel):
    summary: str
    themes: list[Theme]
    rising_terms: list[str]
    samples: list[SamplePost]


class TeamFigures(BaseModel):
    """Engagement over one period (cases opened in it; backlog at its end)."""

    cases_opened: int
    cases_resolved: int
    first_response_median_min: float | None
    first_response_p90_min: float | None
    resolution_median_min: float | None
    sla_attainment: float | None
    """Share of cases with a first-response due time in the period answered in time."""
    csat: float | None
    """Mean answered score (1–5) of surveys answered in the period."""
    csat_answers: int
    backlog: int
    """Cases still open at the period's end."""


class Team(BaseModel):
    current: TeamFigures
    previous: TeamFigures


class Action(BaseModel):
    rank: int
    kind: Literal["unanswered", "lagging_channel", "emerging_complaint", "alert"]
    text: str
    link: str | None = None


class DigestRead(BaseModel):
    subject_id: int
    subject_name: str
    period: Literal["day", "week"]
    tz: str
    first_day: date
    label: str
    start: datetime
    end: datetime
    generated_at: datetime
    gaps: list[str]
    """What data is missing or partial: the page says so instead of showing a zero."""
    moved: Moved
    why: Why
    team: Team
    actions: list[Action]


MAX_HOUR = 23


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    subject_id: int = Field(ge=1, le=2**63 - 1)
    period: Literal["day", "week"] = "day"
    send_hour: int = Field(default=7, ge=0, le=MAX_HOUR)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        refuse_control_characters(value)
        value = value.strip().lower()
        local, _, domain = value.partition("@")
        if not local or "." not in domain or " " in value or "," in value:
            raise ValueError("is not an email address")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except UnknownTimeZoneError:
            raise ValueError("not an IANA time zone (e.g. Europe/Paris)") from None
        return value


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    subject_id: int
    subject_name: str = ""
    period: str
    send_hour: int
    timezone: str
    active: bool
    created_at: datetime
