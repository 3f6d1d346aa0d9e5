"""``/account``: any logged-in user changes their own password or logs out elsewhere.

Changing the password ends every session of the user, this one included, and logs this
browser back in with a fresh session so the person who just proved the password stays in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.client_address import client_address
from groundswell.api.deps import SessionDep
from groundswell.auth import admin
from groundswell.auth.audit import Actor, record
from groundswell.auth.ops_schemas import PasswordChange
from groundswell.auth.password_policy import PasswordPolicy
from groundswell.auth.schemas import UserRead
from groundswell.auth.sessions import end_user_sessions, open_session, open_sessions
from groundswell.core.errors import InvalidInputError
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.security import rotate_csrf_token
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)
FLASH_KEY = "account_flash"


def _page(
    request: Request,
    session: SessionDep,
    user: UserRead,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    flash = request.session.pop(FLASH_KEY, None)
    context = {
        "active": "account",
        "sessions": open_sessions(session, user_id=user.id),
        "policy": PasswordPolicy.from_settings(request.app.state.settings),
        "error": error,
        "flash": flash if isinstance(flash, str) else None,
    }
    return render(request, "account.html", context, user=user, status_code=status_code)


def _relogin(request: Request, session: SessionDep, user: UserRead, message: str) -> Response:
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["sid"] = open_session(
        session,
        user_id=user.id,
        max_age_seconds=request.app.state.settings.session_max_age_seconds,
        address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    rotate_csrf_token(request)
    request.session[FLASH_KEY] = message
    return RedirectResponse("/account", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    return _page(request, session, user)


@router.post("/account/password", dependencies=[Csrf])
def change_own_password(
    request: Request,
    session: SessionDep,
    user: WebUser,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    actor = Actor(user_id=user.id, label=user.email, address=client_address(request))
    try:
        admin.change_password(
            session,
            user_id=user.id,
            data=PasswordChange(new_password=new_password, current_password=current_password),
            policy=PasswordPolicy.from_settings(request.app.state.settings),
            actor=actor,
            require_current=True,
        )
    except (ValidationError, InvalidInputError) as exc:
        session.rollback()
        field = getattr(exc, "field", None)
        message = f"{field}: {exc}" if field else "the new password is not acceptable"
        return _page(request, session, user, error=message, status_code=422)
    return _relogin(request, session, user, "Password changed; every other session was ended.")


@router.post("/account/end-sessions", dependencies=[Csrf])
def end_other_sessions(request: Request, session: SessionDep, user: WebUser) -> Response:
    ended = end_user_sessions(session, user_id=user.id, reason="ended by user")
    record(
        session,
        actor=Actor(user_id=user.id, label=user.email, address=client_address(request)),
        action="user.end_sessions",
        target_type="user",
        target_id=user.id,
        target=user.email,
        details={"sessions_ended": max(0, ended - 1), "by": "self"},
    )
    return _relogin(request, session, user, f"Ended {max(0, ended - 1)} other session(s).")
