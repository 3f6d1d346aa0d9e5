"""Engagement figures: the report by group, channel fairness, the report as CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from groundswell.analytics.engagement import period, queries, report_csv
from groundswell.analytics.engagement.fairness import fairness
from groundswell.analytics.engagement.schemas import EngagementReport, FairnessReport, GroupBy
from groundswell.analytics.engagement.segment_rows import CaseRows, segment_rows
from groundswell.api.analytics.deps import TeamReader
from groundswell.api.csv_response import csv_response
from groundswell.api.deps import DatabaseDep, SessionDep, SettingsDep
from groundswell.api.params import SegmentId
from groundswell.core.clock import utcnow

router = APIRouter(prefix="/analytics", tags=["analytics"])

Start = Annotated[date | None, Query(description="first UTC day, included")]
End = Annotated[date | None, Query(description="last UTC day, included (default today)")]
Days = Annotated[
    int | None, Query(ge=1, le=period.MAX_DAYS, description="days up to end, without start")
]


def _cases(session: SessionDep, segment_id: int | None, first: date, last: date) -> CaseRows | None:
    if segment_id is None:
        return None
    return segment_rows(session, segment_id=segment_id, start=first, end=last)


def _period(start: date | None, end: date | None, days: int | None) -> tuple[date, date]:
    return period.resolve(start, end, days, today=utcnow().date())


@router.get(
    "/engagement",
    summary="Engagement figures of a period, by agent, team, channel, queue or priority",
    response_model=EngagementReport,
)
def api_engagement(
    session: SessionDep,
    _: TeamReader,
    start: Start = None,
    end: End = None,
    days: Days = None,
    group_by: GroupBy = "channel",
    segment_id: SegmentId = None,
) -> EngagementReport:
    """Times in seconds, business (the SLA policy's calendar) and wall; median and p90 from
    log histograms (relative error in ``quantile_relative_error``). With ``segment_id``,
    the figures of the cases whose contact is in the segment now."""
    first, last = _period(start, end, days)
    cases = _cases(session, segment_id, first, last)
    return queries.report(session, first, last, group_by, cases=cases)


@router.get(
    "/engagement/fairness",
    summary="Response and resolution per channel, flagging a channel that lags the others",
    response_model=FairnessReport,
)
def api_fairness(
    session: SessionDep,
    settings: SettingsDep,
    _: TeamReader,
    start: Start = None,
    end: End = None,
    days: Days = None,
    basis: Literal["business", "wall"] = "business",
    segment_id: SegmentId = None,
) -> FairnessReport:
    first, last = _period(start, end, days)
    return fairness(
        session,
        first,
        last,
        margin=settings.analytics_fairness_margin,
        min_samples=settings.analytics_fairness_min_samples,
        basis=basis,
        cases=_cases(session, segment_id, first, last),
    )


@router.get(
    "/engagement/export.csv",
    summary="The engagement report as CSV",
    response_class=StreamingResponse,
)
def api_engagement_csv(
    db: DatabaseDep,
    session: SessionDep,
    _: TeamReader,
    start: Start = None,
    end: End = None,
    days: Days = None,
    group_by: GroupBy = "channel",
    segment_id: SegmentId = None,
) -> StreamingResponse:
    first, last = _period(start, end, days)
    cases = _cases(session, segment_id, first, last)
    rep = queries.report(session, first, last, group_by, cases=cases)
    return csv_response(
        db,
        f"engagement-{group_by}-{first}-{last}.csv",
        report_csv.HEADER,
        lambda _s: report_csv.rows(rep),
    )
