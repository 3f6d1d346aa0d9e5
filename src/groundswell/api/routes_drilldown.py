"""``/api/v1`` drill-down: what a time range of talk, or an alert's episode, is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from groundswell.api.deps import ApiUser, SessionDep
from groundswell.api.params import PathId
from groundswell.api.routes_admin import actor_of
from groundswell.auth.audit import record
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import MAX_INT64
from groundswell.core.csv_export import encode_rows
from groundswell.listening.drilldown.csv_rows import HEADER, drilldown_rows
from groundswell.listening.drilldown.private import for_role
from groundswell.listening.drilldown.schemas import DrilldownRead
from groundswell.listening.drilldown.service import drilldown, drilldown_for_alert

router = APIRouter(tags=["drilldown"])


@dataclass(frozen=True, slots=True)
class RangeQuery:
    """The query of a drill-down over a time range, shared by its JSON and CSV forms."""

    start: datetime
    end: datetime
    subject_id: int | None
    channel: str | None
    baseline_hours: float | None


def range_query(
    start: Annotated[datetime, Query(description="ISO 8601; without an offset it is UTC")],
    end: Annotated[datetime, Query(description="exclusive; at most 7 days after start")],
    subject_id: Annotated[
        int | None, Query(ge=1, le=MAX_INT64, description="omit for all posts")
    ] = None,
    channel: Annotated[str | None, Query(max_length=64, description="a channel key")] = None,
    baseline_hours: Annotated[
        float | None,
        Query(gt=0, le=168, description="baseline length before start; default 24 h"),
    ] = None,
) -> RangeQuery:
    return RangeQuery(start, end, subject_id, channel, baseline_hours)


Range = Annotated[RangeQuery, Depends(range_query)]


@router.get("/drilldown", summary="Drill down into a time range", response_model=DrilldownRead)
def api_drilldown(session: SessionDep, user: ApiUser, q: Range) -> DrilldownRead:
    """Emerging terms and phrases against the baseline, sentiment and channel mix, top
    authors, co-occurring subjects, sample posts, clusters and a plain summary.

    422 names the field for a bad date, an empty or over-long range, or an unknown
    channel; 404 for an unknown subject.
    """
    baseline = timedelta(hours=q.baseline_hours) if q.baseline_hours is not None else None
    result = drilldown(
        session,
        subject_id=q.subject_id,
        start=q.start,
        end=q.end,
        baseline=baseline,
        channel=q.channel or None,
    )
    return for_role(result, role=user.role)


@router.get(
    "/alerts/{alert_id}/drilldown",
    summary="Drill down into an alert",
    response_model=DrilldownRead,
)
def api_alert_drilldown(session: SessionDep, user: ApiUser, alert_id: PathId) -> DrilldownRead:
    """The drill-down of the alert's episode, from its start to its resolution (or to a
    few minutes after its last anomalous minute while it is still open)."""
    return for_role(drilldown_for_alert(session, alert_id), role=user.role)


def _csv(
    request: Request, session: SessionDep, user: UserRead, d: DrilldownRead
) -> StreamingResponse:
    """The drill-down as one CSV table; taking it is audited, as every export is (it holds
    sample posts and their authors)."""
    scope = f"alert-{d.alert_id}" if d.alert_id else f"subject-{d.subject.id if d.subject else 0}"
    record(
        session,
        actor=actor_of(request, user),
        action="export.drilldown",
        target_type="export",
        target="drilldown.csv",
        details={
            "scope": scope,
            "start": d.volume.focus.start.isoformat(),
            "end": d.volume.focus.end.isoformat(),
            **({"channel": d.channel} if d.channel else {}),
        },
    )
    return StreamingResponse(
        encode_rows(HEADER, list(drilldown_rows(d))),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="drilldown-{scope}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/drilldown.csv",
    summary="Drill down into a time range, as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV"}},
)
def api_drilldown_csv(
    request: Request, session: SessionDep, user: ApiUser, q: Range
) -> StreamingResponse:
    """Every section of the drill-down in one table (``section``, ``item``, counts and
    shares beside the baseline's); the same rules and errors as ``GET /drilldown``."""
    result = api_drilldown(session, user, q)
    return _csv(request, session, user, result)


@router.get(
    "/alerts/{alert_id}/drilldown.csv",
    summary="Drill down into an alert, as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV"}},
)
def api_alert_drilldown_csv(
    request: Request, session: SessionDep, user: ApiUser, alert_id: PathId
) -> StreamingResponse:
    """The alert's drill-down as one CSV table."""
    return _csv(request, session, user, api_alert_drilldown(session, user, alert_id))
