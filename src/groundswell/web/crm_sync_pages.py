"""The CRM sync page (admins): connections with status and counts, and open conflicts.

Connect Salesforce or HubSpot, run a sync now, pause or resume, and resolve each
conflict by keeping Groundswell's value or taking the CRM's. Secrets are typed into
password fields and never rendered back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.client_address import client_address
from groundswell.api.deps import DatabaseDep, SessionDep, get_app_settings, outbound_policy
from groundswell.api.params import PathId
from groundswell.auth.audit import Actor, record
from groundswell.auth.schemas import UserRead
from groundswell.core.errors import InvalidInputError
from groundswell.crmsync import conflicts, service
from groundswell.crmsync.engine import SyncRunner
from groundswell.crmsync.schemas import ConnectionIn, SyncReport
from groundswell.settings import Settings
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/admin/crm-sync"


def web_admin(user: WebUser) -> UserRead:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins manage CRM sync")
    return user


WebAdmin = Annotated[UserRead, Depends(web_admin)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


def _audit(request: Request, session: Any, user: UserRead, action: str, **target: Any) -> None:
    actor = Actor(user_id=user.id, label=user.email, address=client_address(request))
    record(session, actor=actor, action=f"crm_sync.{action}", **target)


def _page(
    request: Request,
    session: Any,
    settings: Settings,
    user: UserRead,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    ctx: dict[str, Any] = {
        "active": "crm-sync",
        "connections": service.list_connections(session, settings=settings),
        "conflicts": conflicts.list_conflicts(session, status="open", limit=200),
        "resolved": conflicts.list_conflicts(session, status="resolved", limit=20),
        "errors": {},
        "form": {},
        "report": None,
        **extra,
    }
    return render(request, "crm_sync.html", ctx, user=user, status_code=status_code)


@router.get(PAGE, response_class=HTMLResponse)
def crm_sync_page(
    request: Request, session: SessionDep, settings: AppSettings, user: WebAdmin
) -> Response:
    return _page(request, session, settings, user)


@router.post(f"{PAGE}/connections", response_class=HTMLResponse, dependencies=[Csrf])
def crm_sync_connect(
    request: Request,
    session: SessionDep,
    settings: AppSettings,
    user: WebAdmin,
    system: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)],
    base_url: Annotated[str, Form(max_length=500)],
    client_id: Annotated[str, Form(max_length=300)] = "",
    client_secret: Annotated[str, Form(max_length=300)] = "",
    access_token: Annotated[str, Form(max_length=500)] = "",
    scope: Annotated[str, Form(max_length=8)] = "cases",
) -> Response:
    form = {
        "system": system,
        "name": name,
        "base_url": base_url,
        "client_id": client_id,
        "scope": scope,
    }
    errors: dict[str, str] = {}
    try:
        data = ConnectionIn.model_validate(
            {
                **form,
                "client_id": client_id or None,
                "client_secret": client_secret or None,
                "access_token": access_token or None,
            }
        )
        made = service.create_connection(
            session, settings=settings, policy=outbound_policy(settings), data=data
        )
        _audit(
            request,
            session,
            user,
            "connect",
            target_type="crm_connection",
            target_id=made.id,
            target=made.name,
            details={"system": made.system, "base_url": made.base_url},
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        errors[field] = f"{field}: {first['msg']}"
    except InvalidInputError as exc:
        errors[exc.field or "settings"] = str(exc)
    if errors:
        session.rollback()
        return _page(request, session, settings, user, status_code=422, errors=errors, form=form)
    return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)


@router.post(
    f"{PAGE}/connections/{{connection_id}}/run", response_class=HTMLResponse, dependencies=[Csrf]
)
def crm_sync_run(
    request: Request,
    db: DatabaseDep,
    session: SessionDep,
    settings: AppSettings,
    user: WebAdmin,
    connection_id: PathId,
) -> Response:
    service.get_connection(session, connection_id)
    session.rollback()
    report: SyncReport = SyncRunner(settings, db).run(connection_id, force=True)
    return _page(request, session, settings, user, report=report)


@router.post(f"{PAGE}/connections/{{connection_id}}/pause", dependencies=[Csrf])
def crm_sync_pause(
    request: Request,
    session: SessionDep,
    settings: AppSettings,
    user: WebAdmin,
    connection_id: PathId,
) -> Response:
    service.set_enabled(session, settings=settings, connection_id=connection_id, enabled=False)
    _audit(request, session, user, "pause", target_type="crm_connection", target_id=connection_id)
    return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)


@router.post(f"{PAGE}/connections/{{connection_id}}/resume", dependencies=[Csrf])
def crm_sync_resume(
    request: Request,
    session: SessionDep,
    settings: AppSettings,
    user: WebAdmin,
    connection_id: PathId,
) -> Response:
    service.set_enabled(session, settings=settings, connection_id=connection_id, enabled=True)
    _audit(request, session, user, "resume", target_type="crm_connection", target_id=connection_id)
    return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)


@router.post(f"{PAGE}/conflicts/{{conflict_id}}/resolve", dependencies=[Csrf])
def crm_sync_resolve(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    conflict_id: PathId,
    choice: Annotated[Literal["keep_local", "take_remote"], Form()],
) -> Response:
    out = conflicts.resolve(session, conflict_id=conflict_id, choice=choice, user_id=user.id)
    _audit(
        request,
        session,
        user,
        "resolve",
        target_type="crm_conflict",
        target_id=conflict_id,
        target=f"contact {out.contact_id} {out.field}",
        details={"choice": choice},
    )
    return RedirectResponse(f"{PAGE}#conflicts", status_code=status.HTTP_303_SEE_OTHER)
