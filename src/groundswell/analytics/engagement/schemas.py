"""What the engagement figures look like to the API, the pages, the CSV and the digest."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

GroupBy = Literal["agent", "team", "channel", "queue", "priority", "subject"]
GROUP_BYS: tuple[GroupBy, ...] = ("agent", "team", "channel", "queue", "priority", "subject")


class Distribution(BaseModel):
    """A time distribution in seconds; median and p90 come from the log histogram."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None


class Timing(BaseModel):
    business: Distribution
    wall: Distribution


class EngagementFigures(BaseModel):
    key: str
    label: str
    opened: int
    resolved: int
    backlog: int
    """Cases open at the end of the period (opened minus resolved up to then)."""
    backlog_age: Distribution | None
    """Wall-clock age of the cases open now: exact mean; median and p90 from their opening
    day (±12 h). None for a period that ended before today."""
    first_response: Timing
    next_response: Timing
    resolution: Timing
    sla_first_response: float | None
    sla_resolution: float | None
    sla_attainment: float | None
    """Share of SLA targets met, first response and resolution together (0–1)."""
    replies_per_case: float | None
    csat_average: float | None
    csat_satisfied: float | None
    """Share of answered surveys scoring 4 or 5 (0–1)."""
    csat_count: int
    sentiment_lift: float | None
    """Mean of (customer's sentiment after an agent's reply − before it), −2…2."""
    lift_count: int


class EngagementReport(BaseModel):
    start: date
    end: date
    group_by: GroupBy
    total: EngagementFigures
    groups: list[EngagementFigures]
    quantile_relative_error: float


class EngagementSummary(BaseModel):
    """The headline figures of a period, for the executive digest."""

    start: date
    end: date
    cases_opened: int
    cases_resolved: int
    backlog: int
    first_response_median: float | None
    first_response_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    """Seconds of business time (the SLA's calendar)."""
    sla_attainment: float | None
    csat_average: float | None
    csat_satisfied: float | None


class ChannelFairness(BaseModel):
    channel: str
    first_response: Distribution
    resolution: Distribution
    first_response_lag: float | None
    """Median first response relative to the other channels' combined median (0.3 = 30 % slower)."""
    resolution_lag: float | None
    lagging: bool


class FairnessReport(BaseModel):
    start: date
    end: date
    margin: float
    min_samples: int
    basis: Literal["business", "wall"]
    channels: list[ChannelFairness]
