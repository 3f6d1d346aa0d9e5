"""``/api/v1/admin/crm-sync``: CRM connections, sync runs and field conflicts (admins only).

Secrets are accepted when a connection is added and never answered back. A token needs
the ``admin`` scope here, as for every ``/api/v1/admin`` route.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from groundswell.api.deps import CSRF_CHECKED, DatabaseDep, SessionDep, outbound_policy
from groundswell.api.params import Offset, PathId
from groundswell.api.routes_admin import Admin, AppSettings, actor_of
from groundswell.auth.audit import record
from groundswell.crmsync import conflicts, service
from groundswell.crmsync.engine import SyncRunner
from groundswell.crmsync.schemas import (
    ConflictOut,
    ConnectionIn,
    ConnectionOut,
    ResolveIn,
    SyncReport,
)

router = APIRouter(prefix="/admin/crm-sync", tags=["crm-sync"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token or session"},
    403: {"description": "not an admin, token lacks the admin scope, or CSRF token missing"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {**_ERRORS, 404: {"description": "no such record"}}


@router.get(
    "/connections",
    summary="CRM connections with status, counts and errors",
    response_model=list[ConnectionOut],
    responses=_ERRORS,
)
def api_connections(session: SessionDep, settings: AppSettings, _: Admin) -> list[ConnectionOut]:
    return service.list_connections(session, settings=settings)


@router.post(
    "/connections",
    summary="Connect Salesforce or HubSpot",
    response_model=ConnectionOut,
    status_code=201,
    dependencies=CSRF_CHECKED,
    responses={**_ERRORS, 422: {"description": "a setting is missing or refused; names it"}},
)
def api_connect(
    request: Request, session: SessionDep, settings: AppSettings, user: Admin, body: ConnectionIn
) -> ConnectionOut:
    made = service.create_connection(
        session, settings=settings, policy=outbound_policy(settings), data=body
    )
    record(
        session,
        actor=actor_of(request, user),
        action="crm_sync.connect",
        target_type="crm_connection",
        target_id=made.id,
        target=made.name,
        details={"system": made.system, "base_url": made.base_url},
    )
    return made


@router.get(
    "/connections/{connection_id}",
    summary="One connection",
    response_model=ConnectionOut,
    responses=_NOT_FOUND,
)
def api_connection(
    session: SessionDep, settings: AppSettings, _: Admin, connection_id: PathId
) -> ConnectionOut:
    return service.connection_out(session, settings=settings, connection_id=connection_id)


@router.post(
    "/connections/{connection_id}/run",
    summary="Sync this connection now",
    response_model=SyncReport,
    dependencies=CSRF_CHECKED,
    responses=_NOT_FOUND,
)
def api_run(
    db: DatabaseDep, session: SessionDep, settings: AppSettings, _: Admin, connection_id: PathId
) -> SyncReport:
    service.get_connection(session, connection_id)
    session.rollback()  # the run uses its own transactions
    return SyncRunner(settings, db).run(connection_id, force=True)


@router.post(
    "/connections/{connection_id}/pause",
    summary="Stop syncing",
    response_model=ConnectionOut,
    dependencies=CSRF_CHECKED,
    responses=_NOT_FOUND,
)
def api_pause(
    request: Request, session: SessionDep, settings: AppSettings, user: Admin, connection_id: PathId
) -> ConnectionOut:
    out = service.set_enabled(
        session, settings=settings, connection_id=connection_id, enabled=False
    )
    record(
        session,
        actor=actor_of(request, user),
        action="crm_sync.pause",
        target_type="crm_connection",
        target_id=connection_id,
        target=out.name,
    )
    return out


@router.post(
    "/connections/{connection_id}/resume",
    summary="Sync again",
    response_model=ConnectionOut,
    dependencies=CSRF_CHECKED,
    responses=_NOT_FOUND,
)
def api_resume(
    request: Request, session: SessionDep, settings: AppSettings, user: Admin, connection_id: PathId
) -> ConnectionOut:
    out = service.set_enabled(session, settings=settings, connection_id=connection_id, enabled=True)
    record(
        session,
        actor=actor_of(request, user),
        action="crm_sync.resume",
        target_type="crm_connection",
        target_id=connection_id,
        target=out.name,
    )
    return out


@router.delete(
    "/connections/{connection_id}",
    summary="Remove a connection (records stay in the CRM)",
    status_code=204,
    dependencies=CSRF_CHECKED,
    responses=_NOT_FOUND,
)
def api_delete(
    request: Request, session: SessionDep, user: Admin, connection_id: PathId
) -> Response:
    name = service.get_connection(session, connection_id).name
    service.delete_connection(session, connection_id=connection_id)
    record(
        session,
        actor=actor_of(request, user),
        action="crm_sync.delete",
        target_type="crm_connection",
        target_id=connection_id,
        target=name,
    )
    return Response(status_code=204)


@router.get(
    "/conflicts",
    summary="Fields changed on both sides since the last sync",
    response_model=list[ConflictOut],
    responses=_ERRORS,
)
def api_conflicts(
    session: SessionDep,
    _: Admin,
    status: Annotated[Literal["open", "resolved", "all"], Query()] = "open",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ConflictOut]:
    return conflicts.list_conflicts(
        session, status=None if status == "all" else status, offset=offset, limit=limit
    )


@router.post(
    "/conflicts/{conflict_id}/resolve",
    summary="Keep Groundswell's value or take the CRM's",
    response_model=ConflictOut,
    dependencies=CSRF_CHECKED,
    responses={**_NOT_FOUND, 422: {"description": "already resolved, or an unknown choice"}},
)
def api_resolve(
    request: Request, session: SessionDep, user: Admin, conflict_id: PathId, body: ResolveIn
) -> ConflictOut:
    out = conflicts.resolve(session, conflict_id=conflict_id, choice=body.choice, user_id=user.id)
    record(
        session,
        actor=actor_of(request, user),
        action="crm_sync.resolve",
        target_type="crm_conflict",
        target_id=conflict_id,
        target=f"contact {out.contact_id} {out.field}",
        details={"choice": body.choice},
    )
    return out
