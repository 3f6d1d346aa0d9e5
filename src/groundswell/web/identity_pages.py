"""Identity resolution pages: the review queue (confirm, reject) and the merge log (unmerge).

Plain forms with the CSRF field, so they work without JavaScript; each action redirects
back. Every signed-in person may decide: agents are who know the customers best. Who
decided is written into the candidate and the merge log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import MAX_INT64
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.matching.merge import MergeConflictError, merge_log, unmerge
from groundswell.crm.matching.models import MergeEvent
from groundswell.crm.matching.service import (
    confirm_candidate,
    count_pending,
    reject_candidate,
    review_queue,
)
from groundswell.engagement.lifecycle import ACTIVE
from groundswell.engagement.models import Case
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _actor(user: UserRead) -> str:
    return f"user:{user.email}"


def _refused(request: Request, user: UserRead, message: str, code: int = 409) -> Response:
    return render(
        request,
        "error.html",
        {"active": "matches", "title": "Not done", "message": message},
        user=user,
        status_code=code,
    )


@router.get("/matches", response_class=HTMLResponse)
def matches_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    pairs = review_queue(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = count_pending(session)
    return render(
        request,
        "matches.html",
        {
            "active": "matches",
            "pairs": pairs,
            "total": total,
            "page": page,
            "has_next": page * PAGE_SIZE < total,
            "merged": request.session.pop("merged", None),
        },
        user=user,
    )


@router.post("/matches/{candidate_id}/confirm", dependencies=[Csrf])
def confirm(request: Request, session: SessionDep, user: WebUser, candidate_id: PathId) -> Response:
    try:
        event_id = confirm_candidate(session, candidate_id=candidate_id, actor=_actor(user))
    except NotFoundError:
        return _refused(request, user, f"There is no candidate pair #{candidate_id}.", 404)
    except (InvalidInputError, MergeConflictError) as exc:
        session.rollback()
        return _refused(request, user, str(exc))
    request.session["merged"] = _merged_notice(session, event_id)
    session.commit()
    return RedirectResponse("/matches", status_code=status.HTTP_303_SEE_OTHER)


def _merged_notice(session: Session, event_id: int) -> dict[str, object]:
    """What the page says after a merge: the kept contact and, when the customer now has
    several open cases (they wrote on both networks before), those cases, so the agent
    can merge them too from the case page."""
    event = session.get(MergeEvent, event_id)
    kept = event.kept_contact_id if event is not None else None
    cases = (
        session.scalars(
            select(Case.id)
            .where(Case.contact_id == kept, Case.status.in_(ACTIVE))
            .order_by(Case.opened_at, Case.id)
            .limit(10)
        ).all()
        if kept is not None
        else []
    )
    return {"contact_id": kept, "cases": [int(c) for c in cases]}


@router.post("/matches/{candidate_id}/reject", dependencies=[Csrf])
def reject(request: Request, session: SessionDep, user: WebUser, candidate_id: PathId) -> Response:
    try:
        reject_candidate(session, candidate_id=candidate_id, actor=_actor(user))
    except NotFoundError:
        return _refused(request, user, f"There is no candidate pair #{candidate_id}.", 404)
    except InvalidInputError as exc:
        return _refused(request, user, str(exc))
    session.commit()
    return RedirectResponse("/matches", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/matches/log", response_class=HTMLResponse)
def merge_log_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    contact: Annotated[int | None, Query(ge=1, le=MAX_INT64)] = None,
) -> Response:
    events = merge_log(session, contact_id=contact, limit=200)
    return render(
        request,
        "merge_log.html",
        {"active": "matches", "events": events, "contact": contact},
        user=user,
    )


@router.post("/matches/log/{event_id}/unmerge", dependencies=[Csrf])
def unmerge_event(
    request: Request, session: SessionDep, user: WebUser, event_id: PathId
) -> Response:
    try:
        unmerge(session, event_id=event_id, actor=_actor(user))
    except NotFoundError:
        return _refused(request, user, f"There is no merge #{event_id}.", 404)
    except MergeConflictError as exc:
        session.rollback()
        return _refused(request, user, str(exc))
    session.commit()
    return RedirectResponse("/matches/log", status_code=status.HTTP_303_SEE_OTHER)
