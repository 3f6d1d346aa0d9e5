"""``/api/v1`` drill-down: what a time range of talk, or an alert's episode, is about."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from groundswell.api.deps import ApiUser, SessionDep
from groundswell.api.params import PathId
from groundswell.core.bounds import MAX_INT64
from groundswell.listening.drilldown.private import for_role
from groundswell.listening.drilldown.schemas import DrilldownRead
from groundswell.listening.drilldown.service import drilldown, drilldown_for_alert

router = APIRouter(tags=["drilldown"])


@router.get("/drilldown", summary="Drill down into a time range", response_model=DrilldownRead)
def api_drilldown(
    session: SessionDep,
    user: ApiUser,
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
) -> DrilldownRead:
    """Emerging terms and phrases against the baseline, sentiment and channel mix, top
    authors, co-occurring subjects, sample posts, clusters and a plain summary.

    422 names the field for a bad date, an empty or over-long range, or an unknown
    channel; 404 for an unknown subject.
    """
    baseline = timedelta(hours=baseline_hours) if baseline_hours is not None else None
    result = drilldown(
        session,
        subject_id=subject_id,
        start=start,
        end=end,
        baseline=baseline,
        channel=channel or None,
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
