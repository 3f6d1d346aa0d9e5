"""``/admin/audit``: the audit log viewer and its CSV export (admins).

Filter by actor, action and period (dates, UTC, the end day included), paged newest
first by id. The export streams the same filtered log as CSV and is itself audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, Response, StreamingResponse

from groundswell.api.client_address import client_address
from groundswell.api.deps import DatabaseDep, SessionDep
from groundswell.api.routes_admin import audit_export
from groundswell.auth.audit import Actor, AuditFilter, audit_actions, list_audit
from groundswell.core.errors import InvalidInputError
from groundswell.web.access_pages import WebAdmin
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/admin/audit"
PAGE_SIZE = 100
DateText = Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$", max_length=10)]
ActorText = Annotated[str, Query(max_length=320)]
ActionText = Annotated[str, Query(pattern=r"^[a-z_.]{0,60}$")]
BeforeId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


def _day(value: str, field: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("is not a date (YYYY-MM-DD)", field=field) from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _filter(actor: str, action: str, since: str, until: str) -> AuditFilter:
    return AuditFilter(
        actor=actor.strip() or None,
        action=action or None,
        since=_day(since, "since"),
        until=_day(until, "until", end=True),
    )


@router.get(PAGE, response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    actor: ActorText = "",
    action: ActionText = "",
    since: DateText = "",
    until: DateText = "",
    before_id: BeforeId = None,
) -> Response:
    where = _filter(actor, action, since, until)
    rows = list_audit(
        session,
        limit=PAGE_SIZE + 1,
        before_id=before_id,
        action=where.action,
        actor=where.actor,
        since=where.since,
        until=where.until,
    )
    context: dict[str, Any] = {
        "active": "audit",
        "entries": rows[:PAGE_SIZE],
        "next_before": rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        "actions": audit_actions(session),
        "filters": {"actor": actor, "action": action, "since": since, "until": until},
        "first_page": before_id is None,
    }
    return render(request, "audit.html", context, user=user)


@router.get(PAGE + "/export.csv")
def audit_export_csv(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    user: WebAdmin,
    actor: ActorText = "",
    action: ActionText = "",
    since: DateText = "",
    until: DateText = "",
) -> StreamingResponse:
    who = Actor(user_id=user.id, label=user.email, address=client_address(request))
    return audit_export(session, db, actor=who, where=_filter(actor, action, since, until))
