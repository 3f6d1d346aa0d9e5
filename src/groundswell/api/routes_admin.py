"""``/api/v1/admin``: users, API tokens, sessions and the audit log (admins only).

Token requests need the ``admin`` scope here (see ``deps.required_scope``) besides an
admin user; cookie requests need the CSRF token on every change, as everywhere.
``/api/v1/me/password`` lets any user change their own password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from sqlalchemy.orm import Session
from starlette.responses import StreamingResponse

from groundswell.api.client_address import client_address
from groundswell.api.deps import ApiUser, DatabaseDep, SessionDep, get_app_settings
from groundswell.auth import admin
from groundswell.auth.audit import Actor, AuditFilter, audit_csv_rows, list_audit, record
from groundswell.auth.ops_schemas import (
    AuditRead,
    EndedSessions,
    PasswordChange,
    SessionRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserAdminCreate,
    UserAdminRead,
    UserUpdate,
)
from groundswell.auth.password_policy import PasswordPolicy
from groundswell.auth.schemas import UserRead
from groundswell.auth.sessions import open_sessions
from groundswell.core.clock import to_utc
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError
from groundswell.settings import Settings

router = APIRouter(tags=["admin"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token or session"},
    403: {"description": "not an admin, token lacks the admin scope, or CSRF token missing"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {**_ERRORS, 404: {"description": "no such record"}}


def require_admin(user: ApiUser) -> UserRead:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins manage users and tokens")
    return user


Admin = Annotated[UserRead, Depends(require_admin)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


def actor_of(request: Request, user: UserRead) -> Actor:
    return Actor(user_id=user.id, label=user.email, address=client_address(request))


@router.get(
    "/admin/users", summary="List users", response_model=list[UserAdminRead], responses=_ERRORS
)
def api_list_users(session: SessionDep, _: Admin) -> list[UserAdminRead]:
    """Every user with their open sessions and live tokens."""
    return admin.list_users(session)


@router.post(
    "/admin/users",
    summary="Create a user",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def api_create_user(
    request: Request, session: SessionDep, user: Admin, settings: AppSettings, data: UserAdminCreate
) -> UserRead:
    """The password must meet the password policy (length and strength)."""
    return admin.add_user(
        session,
        data=data,
        policy=PasswordPolicy.from_settings(settings),
        actor=actor_of(request, user),
    )


@router.patch(
    "/admin/users/{user_id}",
    summary="Deactivate, reactivate or change the role of a user",
    response_model=UserRead,
    responses=_NOT_FOUND,
)
def api_update_user(
    request: Request, session: SessionDep, user: Admin, user_id: Id, data: UserUpdate
) -> UserRead:
    """Deactivating ends the user's sessions and stops their tokens at once."""
    return admin.update_user(session, user_id=user_id, data=data, actor=actor_of(request, user))


@router.post(
    "/admin/users/{user_id}/password",
    summary="Set a user's password",
    response_model=EndedSessions,
    responses=_NOT_FOUND,
)
def api_set_password(
    request: Request,
    session: SessionDep,
    user: Admin,
    settings: AppSettings,
    user_id: Id,
    data: PasswordChange,
) -> EndedSessions:
    """Ends every session of the user; their tokens keep working (revoke them apart)."""
    ended = admin.change_password(
        session,
        user_id=user_id,
        data=data,
        policy=PasswordPolicy.from_settings(settings),
        actor=actor_of(request, user),
        require_current=user_id == user.id,
    )
    return EndedSessions(ended=ended)


@router.get(
    "/admin/users/{user_id}/sessions",
    summary="A user's open sessions",
    response_model=list[SessionRead],
    responses=_NOT_FOUND,
)
def api_user_sessions(session: SessionDep, _: Admin, user_id: Id) -> list[SessionRead]:
    admin.user_email(session, user_id=user_id)
    return open_sessions(session, user_id=user_id)


@router.post(
    "/admin/users/{user_id}/end-sessions",
    summary="End every session of a user",
    response_model=EndedSessions,
    responses=_NOT_FOUND,
)
def api_end_sessions(
    request: Request, session: SessionDep, user: Admin, user_id: Id
) -> EndedSessions:
    """The user's browsers are logged out at their next request."""
    ended = admin.end_sessions(session, user_id=user_id, actor=actor_of(request, user))
    return EndedSessions(ended=ended)


@router.get(
    "/admin/tokens", summary="List API tokens", response_model=list[TokenRead], responses=_ERRORS
)
def api_list_tokens(
    session: SessionDep,
    _: Admin,
    user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[TokenRead]:
    """Newest first; tokens themselves are never shown again after creation."""
    return admin.list_tokens(session, user_id=user_id)


@router.post(
    "/admin/tokens",
    summary="Create a scoped, expiring API token",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def api_create_token(
    request: Request, session: SessionDep, user: Admin, settings: AppSettings, data: TokenCreate
) -> TokenCreated:
    """Scopes: ``read`` (GET), ``ingest`` (POST /ingest), ``engage`` (other changes),
    ``admin`` (this section; admin users only). The token is in this response only."""
    return admin.create_token(
        session, data=data, actor=actor_of(request, user), max_days=settings.api_token_max_days
    )


@router.post(
    "/admin/tokens/{token_id}/revoke",
    summary="Revoke an API token",
    response_model=TokenRead,
    responses=_NOT_FOUND,
)
def api_revoke_token(request: Request, session: SessionDep, user: Admin, token_id: Id) -> TokenRead:
    """Takes effect at the token's next request; revoking twice is harmless."""
    return admin.revoke_token(session, token_id=token_id, actor=actor_of(request, user))


ActionQuery = Annotated[str | None, Query(pattern=r"^[a-z_.]{1,60}$")]
ActorQuery = Annotated[str | None, Query(min_length=1, max_length=320)]


def _utc(value: datetime | None, field: str) -> datetime | None:
    try:
        return to_utc(value) if value is not None else None
    except OverflowError:
        raise InvalidInputError("is out of range", field=field) from None


@router.get(
    "/admin/audit", summary="Read the audit log", response_model=list[AuditRead], responses=_ERRORS
)
def api_audit(
    session: SessionDep,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    action: ActionQuery = None,
    actor: ActorQuery = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditRead]:
    """Newest first; for the next page pass the smallest ``id`` seen as ``before_id``.
    ``actor`` is the e-mail (or ``cli``) exactly; ``since`` ≤ time < ``until``."""
    return list_audit(
        session,
        limit=limit,
        before_id=before_id,
        action=action,
        actor=actor,
        since=_utc(since, "since"),
        until=_utc(until, "until"),
    )


@router.get(
    "/admin/audit/export.csv",
    summary="Export the audit log as CSV (streamed)",
    response_class=StreamingResponse,
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}, "description": "CSV"}},
)
def api_audit_export(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    user: Admin,
    action: ActionQuery = None,
    actor: ActorQuery = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StreamingResponse:
    """Same filters as the log; the export itself is written to the audit log."""
    where = AuditFilter(
        action=action, actor=actor, since=_utc(since, "since"), until=_utc(until, "until")
    )
    return audit_export(session, db, actor=actor_of(request, user), where=where)


def audit_export(
    session: Session, db: Database, *, actor: Actor, where: AuditFilter
) -> StreamingResponse:
    """Record the export (committed with the request), then stream the CSV."""
    record(
        session,
        actor=actor,
        action="audit.export",
        target_type="audit_log",
        details={
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in vars(where).items()
            if v is not None
        },
    )
    session.commit()
    return StreamingResponse(
        audit_csv_rows(db.session, where=where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@router.post(
    "/me/password",
    summary="Change your own password",
    response_model=EndedSessions,
    responses={401: _ERRORS[401], 403: {"description": "CSRF token missing or wrong"}},
)
def api_change_own_password(
    request: Request,
    session: SessionDep,
    user: ApiUser,
    settings: AppSettings,
    data: PasswordChange,
) -> EndedSessions:
    """Needs the current password; ends every session, this one included."""
    ended = admin.change_password(
        session,
        user_id=user.id,
        data=data,
        policy=PasswordPolicy.from_settings(settings),
        actor=actor_of(request, user),
        require_current=True,
    )
    return EndedSessions(ended=ended)
