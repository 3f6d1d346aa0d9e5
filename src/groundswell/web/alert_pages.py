"""The Alerts page (live), its actions, and the navigation badge.

The list is polled every few seconds with a fingerprint of the alerts table: the server
answers 204 when nothing changed, so a person choosing an assignee is not interrupted
by a redraw. Actions are plain forms with the CSRF field, so they work without
JavaScript; each redirects back to the list it came from.

Everyone signed in sees alerts and acknowledges them; assigning, resolving and
suppressing belong to admins and analysts (see ``alert_rule_pages`` for rules).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import parse_id
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.alerts import service as alert_service
from groundswell.listening.alerts.schemas import (
    AlertFilter,
    AlertSort,
    AlertStatus,
    SuppressRequest,
)
from groundswell.web import alert_rule_pages
from groundswell.web.alert_deps import AlertManager
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(alert_rule_pages.router)

VIEWS: dict[str, list[AlertStatus] | None] = {
    "active": ["open", "ongoing"],
    "resolved": ["resolved"],
    "all": None,
}
PAGE_SIZE = 100
SUPPRESS_CHOICES = (30, 60, 240, 1440)


def _view(value: str | None) -> str:
    return value if value in VIEWS else "active"


SORTS: dict[str, str] = {"severity": "Severity", "recent": "Most recent"}


def _sort(value: str | None) -> AlertSort:
    return "recent" if value == "recent" else "severity"


def _context(session: SessionDep, view: str, sort: AlertSort = "severity") -> dict[str, object]:
    page = alert_service.list_alerts(
        session, filters=AlertFilter(status=VIEWS[view], limit=PAGE_SIZE, sort=sort)
    )
    fingerprint = alert_service.fingerprint(session)
    return {
        "alerts": page.items,
        "total": page.total,
        "view": view,
        "sort": sort,
        "sorts": SORTS,
        "fingerprint": fingerprint,
        "poll_url": f"/alerts/list?view={view}&sort={sort}&v={fingerprint}",
    }


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    view: str | None = None,
    sort: str | None = None,
) -> Response:
    chosen = _view(view)
    context = {
        "active": "alerts",
        "views": list(VIEWS),
        "users": alert_service.list_assignable_users(session),
        "suppress_choices": SUPPRESS_CHOICES,
        "counts": alert_service.count_by_status(session),
        **_context(session, chosen, _sort(sort)),
    }
    return render(request, "alerts.html", context, user=user)


@router.get("/alerts/list", response_class=HTMLResponse)
def alerts_list(
    request: Request,
    session: SessionDep,
    user: WebUser,
    view: str | None = None,
    v: str | None = None,
    sort: str | None = None,
) -> Response:
    """The list partial, or 204 when the alerts are as the page last saw them."""
    if v is not None and v == alert_service.fingerprint(session):
        return Response(status_code=204)
    context = {
        "users": alert_service.list_assignable_users(session),
        "suppress_choices": SUPPRESS_CHOICES,
        "counts": alert_service.count_by_status(session),
        "live_counts": True,
        **_context(session, _view(view), _sort(sort)),
    }
    return render(request, "_alerts_list.html", context, user=user)


@router.get("/alerts/badge", response_class=HTMLResponse)
def alerts_badge(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The open-alert count in the navigation, polled by every page."""
    return render(
        request, "_alerts_badge.html", {"open_count": alert_service.count_open(session)}, user=user
    )


def _back(view: str | None) -> RedirectResponse:
    return RedirectResponse(f"/alerts?view={_view(view)}", status_code=status.HTTP_303_SEE_OTHER)


def _not_found(request: Request, user: UserRead, alert_id: int) -> Response:
    return render(
        request,
        "error.html",
        {
            "active": "alerts",
            "title": "Alert not found",
            "message": f"There is no alert #{alert_id}.",
        },
        user=user,
        status_code=404,
    )


def _refused(request: Request, user: UserRead, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"active": "alerts", "title": "Not done", "message": message},
        user=user,
        status_code=422,
    )


FormView = Annotated[str, Form(max_length=20)]


@router.post("/alerts/{alert_id}/acknowledge", dependencies=[Csrf])
def acknowledge(
    request: Request, session: SessionDep, user: WebUser, alert_id: PathId, view: FormView = ""
) -> Response:
    try:
        alert_service.acknowledge(session, alert_id=alert_id, user_id=user.id)
    except NotFoundError:
        return _not_found(request, user, alert_id)
    session.commit()
    return _back(view)


@router.post("/alerts/{alert_id}/assign", dependencies=[Csrf])
def assign(
    request: Request,
    session: SessionDep,
    user: AlertManager,
    alert_id: PathId,
    user_id: Annotated[str, Form(max_length=20)] = "",
    view: FormView = "",
) -> Response:
    target = parse_id(user_id)
    try:
        alert_service.assign(session, alert_id=alert_id, user_id=target)
    except NotFoundError:
        return _not_found(request, user, alert_id)
    except InvalidInputError as exc:
        return _refused(request, user, str(exc))
    session.commit()
    return _back(view)


@router.post("/alerts/{alert_id}/resolve", dependencies=[Csrf])
def resolve(
    request: Request, session: SessionDep, user: AlertManager, alert_id: PathId, view: FormView = ""
) -> Response:
    try:
        alert_service.resolve(session, alert_id=alert_id)
    except NotFoundError:
        return _not_found(request, user, alert_id)
    session.commit()
    return _back(view)


@router.post("/alerts/{alert_id}/suppress", dependencies=[Csrf])
def suppress(
    request: Request,
    session: SessionDep,
    user: AlertManager,
    alert_id: PathId,
    minutes: Annotated[str, Form(max_length=10)] = "60",
    scope: Annotated[str, Form(max_length=20)] = "metric",
    view: FormView = "",
) -> Response:
    try:
        data = SuppressRequest(
            minutes=parse_id(minutes, minimum=0) or 0, all_metrics=scope == "subject"
        )
        alert_service.suppress(session, alert_id=alert_id, data=data, user_id=user.id)
    except NotFoundError:
        return _not_found(request, user, alert_id)
    except ValidationError:
        return _refused(request, user, "minutes: choose between 1 minute and 30 days")
    session.commit()
    return _back(view)
