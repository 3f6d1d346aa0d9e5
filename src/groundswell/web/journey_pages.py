"""Journeys in aggregate: stage transitions, where customers stop, the common paths."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.crm.journey_stages import journey_aggregate
from groundswell.web.deps import WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/journeys", response_class=HTMLResponse)
def journeys_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    return render(
        request,
        "journeys.html",
        {"active": "contacts", "agg": journey_aggregate(session, top=10)},
        user=user,
    )
