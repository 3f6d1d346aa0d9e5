"""Leads: purchase-intent posts for sales, with status and owner changes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, status
from sqlalchemy import select
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId, QueryId
from groundswell.auth.models import User
from groundswell.core.bounds import MAX_INT64
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.leads import STATUSES, list_leads, update_lead
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.engagement.common import WebWorker
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/leads", response_class=HTMLResponse)
def leads_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    status_filter: Annotated[
        Literal["", "new", "contacted", "qualified", "lost"], Query(alias="status")
    ] = "",
    owner: QueryId = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    leads = list_leads(
        session,
        role=user.role,
        status=status_filter or None,
        owner_id=owner,
        limit=PAGE + 1,
        offset=(page - 1) * PAGE,
    )
    users = list(
        session.execute(
            select(User.id, User.email).where(User.active.is_(True)).order_by(User.email)
        )
    )
    return render(
        request,
        "leads.html",
        {
            "active": "leads",
            "leads": leads[:PAGE],
            "has_next": len(leads) > PAGE,
            "page": page,
            "status": status_filter,
            "owner": owner,
            "statuses": STATUSES,
            "users": users,
            "can_work": user.role in ("agent", "lead", "admin"),
        },
        user=user,
    )


@router.post("/leads/{lead_id}", dependencies=[Csrf])
def lead_change(
    request: Request,
    session: SessionDep,
    user: WebWorker,
    lead_id: PathId,
    lead_status: Annotated[str, Form(alias="status", max_length=16)] = "",
    owner_id: Annotated[int | None, Form(ge=0, le=MAX_INT64)] = None,
) -> Response:
    """Status and owner from the row's form; owner 0 clears it."""
    try:
        update_lead(
            session,
            lead_id=lead_id,
            status=lead_status or None,
            owner_id=owner_id or None,
            clear_owner=owner_id == 0,
            role=user.role,
        )
    except (InvalidInputError, NotFoundError) as exc:
        return render(
            request,
            "error.html",
            {"active": "leads", "title": "Not saved", "message": str(exc)},
            user=user,
            status_code=404 if isinstance(exc, NotFoundError) else 422,
        )
    session.commit()
    return RedirectResponse("/leads", status_code=status.HTTP_303_SEE_OTHER)
