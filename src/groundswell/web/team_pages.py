"""The team lead's dashboard: engagement figures by group, channel fairness, CSV links.

The figures are a fragment the page polls (HTMX), so a lead watching the screen sees
cases answered a moment ago without reloading.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from starlette.responses import Response

from groundswell.analytics.engagement import period, queries
from groundswell.analytics.engagement.fairness import fairness
from groundswell.analytics.engagement.schemas import GROUP_BYS, GroupBy
from groundswell.analytics.engagement.segment_rows import segment_rows
from groundswell.api.deps import SessionDep, SettingsDep
from groundswell.api.params import SegmentId
from groundswell.auth.schemas import UserRead
from groundswell.core.clock import utcnow
from groundswell.crm.segments import list_segments
from groundswell.web.deps import WebUser
from groundswell.web.templating import render

router = APIRouter()

TEAM_READERS = ("lead", "analyst", "admin")
PERIODS = ((1, "Today"), (7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "365 days"))
Days = Annotated[int, Query(ge=1, le=period.MAX_DAYS)]


def can_read_team(user: UserRead) -> bool:
    return user.role in TEAM_READERS


def web_team_reader(user: WebUser) -> UserRead:
    """Leads, analysts and admins read the team's figures."""
    if not can_read_team(user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Only leads, analysts and admins see the team figures."
        )
    return user


TeamReader = Annotated[UserRead, Depends(web_team_reader)]


def duration(seconds: float | None) -> str:
    """``42 s``, ``12 min``, ``3.5 h``, ``2.1 d``: what a lead reads at a glance."""
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _context(
    session: SessionDep,
    settings: SettingsDep,
    *,
    days: int,
    end: date | None,
    group_by: GroupBy,
    basis: Literal["business", "wall"],
    segment_id: int | None = None,
) -> dict[str, object]:
    first, last = period.resolve(None, end, days, today=utcnow().date())
    query: dict[str, str | int] = {"days": days, "group_by": group_by, "basis": basis}
    csv_query: dict[str, str | int] = {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "group_by": group_by,
    }
    if end is not None:
        query["end"] = end.isoformat()
    cases = None
    if segment_id is not None:
        cases = segment_rows(session, segment_id=segment_id, start=first, end=last)
        query["segment_id"] = csv_query["segment_id"] = segment_id
    return {
        "report": queries.report(session, first, last, group_by, cases=cases),
        "fair": fairness(
            session,
            first,
            last,
            margin=settings.analytics_fairness_margin,
            min_samples=settings.analytics_fairness_min_samples,
            basis=basis,
            cases=cases,
        ),
        "days": days,
        "group_by": group_by,
        "basis": basis,
        "end": end,
        "periods": PERIODS,
        "group_bys": GROUP_BYS,
        "query": urlencode(query),
        "csv_query": urlencode(csv_query),
        "segments": list_segments(session),
        "segment_id": segment_id,
        "duration": duration,
        "percent": percent,
        "number": number,
        "active": "team",
    }


@router.get("/team", include_in_schema=False)
def team_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: TeamReader,
    days: Days = 30,
    end: date | None = None,
    group_by: GroupBy = "channel",
    basis: Literal["business", "wall"] = "business",
    segment_id: SegmentId = None,
) -> Response:
    ctx = _context(
        session, settings, days=days, end=end, group_by=group_by, basis=basis, segment_id=segment_id
    )
    return render(request, "team.html", ctx, user=user)


@router.get("/team/figures", include_in_schema=False)
def team_figures(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: TeamReader,
    days: Days = 30,
    end: date | None = None,
    group_by: GroupBy = "channel",
    basis: Literal["business", "wall"] = "business",
    segment_id: SegmentId = None,
) -> Response:
    """The figures alone, polled by the page."""
    ctx = _context(
        session, settings, days=days, end=end, group_by=group_by, basis=basis, segment_id=segment_id
    )
    return render(request, "_team_figures.html", ctx, user=user)
