"""The engagement report as CSV rows: one per group, then the total."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from groundswell.analytics.engagement.schemas import (
    Distribution,
    EngagementFigures,
    EngagementReport,
)

HEADER = (
    "group",
    "key",
    "label",
    "opened",
    "resolved",
    "backlog",
    "first_response_bus_median_s",
    "first_response_bus_p90_s",
    "first_response_wall_median_s",
    "first_response_wall_p90_s",
    "next_response_bus_median_s",
    "next_response_bus_p90_s",
    "resolution_bus_median_s",
    "resolution_bus_p90_s",
    "resolution_wall_median_s",
    "resolution_wall_p90_s",
    "sla_first_response",
    "sla_resolution",
    "sla_attainment",
    "replies_per_case",
    "csat_average",
    "csat_satisfied",
    "csat_count",
    "sentiment_lift",
    "lift_count",
)


def _q(d: Distribution) -> list[Any]:
    return [None if d.median is None else round(d.median), None if d.p90 is None else round(d.p90)]


def _row(group: str, f: EngagementFigures) -> list[Any]:
    return [
        group,
        f.key,
        f.label,
        f.opened,
        f.resolved,
        f.backlog,
        *_q(f.first_response.business),
        *_q(f.first_response.wall),
        *_q(f.next_response.business),
        *_q(f.resolution.business),
        *_q(f.resolution.wall),
        f.sla_first_response,
        f.sla_resolution,
        f.sla_attainment,
        f.replies_per_case,
        f.csat_average,
        f.csat_satisfied,
        f.csat_count,
        f.sentiment_lift,
        f.lift_count,
    ]


def rows(report: EngagementReport) -> Iterator[Sequence[Any]]:
    for f in report.groups:
        yield _row(report.group_by, f)
    yield _row("all", report.total)
