"""Login and logout with the session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.auth.service import authenticate, get_user
from groundswell.web.deps import Csrf
from groundswell.web.security import LoginThrottle, rotate_csrf_token, safe_next
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)


def _throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: str = "/") -> Response:
    user_id = request.session.get("user_id")
    if isinstance(user_id, int) and get_user(session, user_id=user_id) is not None:
        return RedirectResponse(safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "email": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=[Csrf])
def login_submit(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    throttle = _throttle(request)
    client = _client(request)
    context = {"next": safe_next(next), "email": email}
    if throttle.blocked(client):
        return render(
            request,
            "login.html",
            {**context, "error": "Too many failed attempts. Wait a few minutes and try again."},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(int(throttle.window))},
        )
    user = authenticate(session, email=email, password=password)
    if user is None:
        throttle.failed(client)
        return render(
            request,
            "login.html",
            {**context, "error": "Wrong email or password."},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    throttle.succeeded(client)
    # A fresh session on login, so a session fixed before login is worth nothing after.
    request.session.clear()
    request.session["user_id"] = user.id
    rotate_csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
