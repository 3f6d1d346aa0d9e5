"""Dependencies of the web pages: the logged-in user and role checks."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from starlette.responses import RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.auth.schemas import UserRead
from groundswell.auth.sessions import session_user
from groundswell.web.security import verify_csrf
from groundswell.web.templating import can_edit_subjects


class LoginRequired(Exception):
    """Raised by a page dependency when nobody (or a deactivated user) is logged in."""

    def __init__(self, next_path: str) -> None:
        super().__init__("login required")
        self.next_path = next_path


def current_web_user(request: Request, session: SessionDep) -> UserRead:
    user = session_user(
        session, user_id=request.session.get("user_id"), session_id=request.session.get("sid")
    )
    if user is None:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        raise LoginRequired(path)
    return user


WebUser = Annotated[UserRead, Depends(current_web_user)]
Csrf = Depends(verify_csrf)


def subject_editor(user: WebUser) -> UserRead:
    if not can_edit_subjects(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins and analysts edit subjects")
    return user


SubjectEditor = Annotated[UserRead, Depends(subject_editor)]


async def login_required_handler(request: Request, exc: Exception) -> Response:
    """Send the browser to the login page; an HTMX request is told to do so by header.

    A poll that finds the session expired must not swap a login page into the stream.
    """
    assert isinstance(exc, LoginRequired)
    target = "/login"
    if exc.next_path not in ("/", "/login"):
        target += "?next=" + quote(exc.next_path, safe="")
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
