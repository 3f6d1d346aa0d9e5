"""The public CSAT page: one click from the link a customer received, no login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.core.clock import utcnow
from groundswell.engagement import csat
from groundswell.web.templating import render

router = APIRouter()


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key.get_secret_value())


@router.get("/csat/{token}", response_class=HTMLResponse)
def csat_page(request: Request, session: SessionDep, token: str) -> Response:
    try:
        survey = csat.survey_of(session, token=token[:500], secret=_secret(request), now=utcnow())
    except csat.CsatRefused as exc:
        return render(
            request,
            "engagement/csat.html",
            {"error": exc.reason, "done": False, "token": ""},
            status_code=exc.status,
        )
    if survey.answered_at is not None:
        return render(request, "engagement/csat.html", {"error": None, "done": True, "token": ""})
    return render(request, "engagement/csat.html", {"error": None, "done": False, "token": token})


@router.post("/csat/{token}", response_class=HTMLResponse)
def csat_answer(
    request: Request,
    session: SessionDep,
    token: str,
    score: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Public and single-use: the signed token is the credential, so no CSRF session."""
    try:
        csat.answer(
            session,
            token=token[:500],
            secret=_secret(request),
            score=score,
            comment=comment,
            now=utcnow(),
        )
    except csat.CsatRefused as exc:
        return render(
            request,
            "engagement/csat.html",
            {"error": exc.reason, "done": False, "token": ""},
            status_code=exc.status,
        )
    session.commit()
    return render(request, "engagement/csat.html", {"error": None, "done": True, "token": ""})
