"""``/admin/access``: the "Users & tokens" page for admins.

Plain forms that post and redirect back (no script needed), each calling the same
``auth.admin`` functions as the API and CLI, so each action lands in the audit log.
A new token is shown once, on the answer to the form that created it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.client_address import client_address
from groundswell.api.deps import SessionDep
from groundswell.auth import admin
from groundswell.auth.audit import Actor, list_audit
from groundswell.auth.models import TOKEN_SCOPES
from groundswell.auth.ops_schemas import (
    PasswordChange,
    TokenCreate,
    TokenCreated,
    UserAdminCreate,
    UserUpdate,
)
from groundswell.auth.password_policy import PasswordPolicy
from groundswell.auth.schemas import UserRead
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/admin/access"
FLASH_KEY = "access_flash"
IdForm = Annotated[int, Form(ge=1, le=2**31 - 1)]


def web_admin(user: WebUser) -> UserRead:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins manage users and tokens")
    return user


WebAdmin = Annotated[UserRead, Depends(web_admin)]


def _actor(request: Request, user: UserRead) -> Actor:
    return Actor(user_id=user.id, label=user.email, address=client_address(request))


def _page(
    request: Request,
    session: Session,
    user: UserRead,
    *,
    error: str | None = None,
    created: TokenCreated | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    flash = request.session.pop(FLASH_KEY, None)
    context: dict[str, Any] = {
        "active": "access",
        "users": admin.list_users(session),
        "tokens": admin.list_tokens(session),
        "audit": list_audit(session, limit=50),
        "scopes": TOKEN_SCOPES,
        "error": error,
        "flash": flash if isinstance(flash, str) else None,
        "created": created,
        "policy": PasswordPolicy.from_settings(request.app.state.settings),
    }
    return render(request, "access.html", context, user=user, status_code=status_code)


def _done(request: Request, message: str) -> RedirectResponse:
    request.session[FLASH_KEY] = message
    return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)


def _refused(request: Request, session: Session, user: UserRead, exc: Exception) -> HTMLResponse:
    session.rollback()
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        message = f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    else:
        field = getattr(exc, "field", None)
        message = f"{field}: {exc}" if field else str(exc)
    return _page(request, session, user, error=message, status_code=422)


@router.get(PAGE, response_class=HTMLResponse)
def access_page(request: Request, session: SessionDep, user: WebAdmin) -> Response:
    return _page(request, session, user)


@router.post(PAGE + "/users", dependencies=[Csrf])
def create_user_form(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "agent",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        data = UserAdminCreate(email=email, name=name or None, role=role, password=password)
        made = admin.add_user(
            session,
            data=data,
            policy=PasswordPolicy.from_settings(request.app.state.settings),
            actor=_actor(request, user),
        )
    except (ValidationError, InvalidInputError) as exc:
        return _refused(request, session, user, exc)
    return _done(request, f"Created {made.role} {made.email}.")


@router.post(PAGE + "/users/active", dependencies=[Csrf])
def set_active_form(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    user_id: IdForm,
    active: Annotated[bool, Form()],
) -> Response:
    try:
        changed = admin.update_user(
            session, user_id=user_id, data=UserUpdate(active=active), actor=_actor(request, user)
        )
    except (InvalidInputError, NotFoundError) as exc:
        return _refused(request, session, user, exc)
    return _done(request, f"{'Reactivated' if active else 'Deactivated'} {changed.email}.")


@router.post(PAGE + "/users/end-sessions", dependencies=[Csrf])
def end_sessions_form(
    request: Request, session: SessionDep, user: WebAdmin, user_id: IdForm
) -> Response:
    try:
        email = admin.user_email(session, user_id=user_id)
        ended = admin.end_sessions(session, user_id=user_id, actor=_actor(request, user))
    except NotFoundError as exc:
        return _refused(request, session, user, exc)
    if user_id == user.id:
        request.session.clear()
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    return _done(request, f"Ended {ended} session(s) of {email}.")


@router.post(PAGE + "/users/password", dependencies=[Csrf])
def set_password_form(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    user_id: IdForm,
    new_password: Annotated[str, Form(max_length=1000)] = "",
    current_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        email = admin.user_email(session, user_id=user_id)
        ended = admin.change_password(
            session,
            user_id=user_id,
            data=PasswordChange(new_password=new_password, current_password=current_password),
            policy=PasswordPolicy.from_settings(request.app.state.settings),
            actor=_actor(request, user),
            require_current=user_id == user.id,
        )
    except (ValidationError, InvalidInputError, NotFoundError) as exc:
        return _refused(request, session, user, exc)
    if user_id == user.id:
        request.session.clear()
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    return _done(request, f"Password of {email} changed; {ended} session(s) ended.")


@router.post(PAGE + "/tokens", response_class=HTMLResponse, dependencies=[Csrf])
def create_token_form(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    user_id: IdForm,
    name: Annotated[str, Form(max_length=200)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_in_days: Annotated[int, Form(ge=1, le=3650)] = 90,
) -> Response:
    settings = request.app.state.settings
    try:
        data = TokenCreate(
            name=name,
            user_id=user_id,
            scopes=scopes or [],
            expires_in_days=expires_in_days,
        )
        created = admin.create_token(
            session, data=data, actor=_actor(request, user), max_days=settings.api_token_max_days
        )
    except (ValidationError, InvalidInputError, NotFoundError) as exc:
        return _refused(request, session, user, exc)
    # Shown once, here; the redirect-after-post pattern would have to store it somewhere.
    return _page(request, session, user, created=created, status_code=201)


@router.post(PAGE + "/tokens/revoke", dependencies=[Csrf])
def revoke_token_form(
    request: Request, session: SessionDep, user: WebAdmin, token_id: IdForm
) -> Response:
    try:
        token = admin.revoke_token(session, token_id=token_id, actor=_actor(request, user))
    except NotFoundError as exc:
        return _refused(request, session, user, exc)
    return _done(request, f"Revoked token “{token.name}” of {token.user_email}.")
