"""Login and logout with the session cookie and a server-side session row."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.client_address import client_address
from groundswell.api.deps import SessionDep
from groundswell.auth.audit import Actor, record
from groundswell.auth.service import authenticate
from groundswell.auth.sessions import end_session, open_session, session_user
from groundswell.web.deps import Csrf
from groundswell.web.login_limits import LoginLimiter
from groundswell.web.security import rotate_csrf_token, safe_next
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("groundswell.auth")

SESSION_ID_KEY = "sid"


def _limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_throttle
    return limiter


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: str = "/") -> Response:
    user = session_user(
        session,
        user_id=request.session.get("user_id"),
        session_id=request.session.get(SESSION_ID_KEY),
    )
    if user is not None:
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
    limiter = _limiter(request)
    address = client_address(request)
    account = email.strip().lower()
    context = {"next": safe_next(next), "email": email}
    try:
        verdict = limiter.check(account=account, address=address)
    except Exception:  # the counters' store (Redis) is down: refuse rather than go unguarded
        log.exception("login refused: the failure counters cannot be read")
        return render(
            request,
            "login.html",
            {**context, "error": "Logging in is unavailable for a moment. Try again shortly."},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    if not verdict.allowed:
        log.warning("login refused (too many failures): account=%r address=%s", account, address)
        return render(
            request,
            "login.html",
            {**context, "error": "Too many failed attempts. Wait a few minutes and try again."},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(verdict.retry_after_seconds)},
        )
    user = authenticate(session, email=email, password=password)
    if user is None:
        limiter.failed(account=account, address=address)
        log.warning("login failed: account=%r address=%s", account, address)
        # Bounded: after the limiter's few failures an account or address is refused
        # above, before anything is written.
        record(
            session,
            actor=Actor(user_id=None, label=account[:320] or "(empty)", address=address),
            action="login.failed",
            target_type="user",
            target=account[:320],
        )
        return render(
            request,
            "login.html",
            {**context, "error": "Wrong email or password."},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    limiter.succeeded(account=account)
    settings = request.app.state.settings
    # A fresh session on login, so a session fixed before login is worth nothing after.
    end_session(session, session_id=request.session.get(SESSION_ID_KEY), reason="replaced")
    request.session.clear()
    request.session["user_id"] = user.id
    request.session[SESSION_ID_KEY] = open_session(
        session,
        user_id=user.id,
        max_age_seconds=settings.session_max_age_seconds,
        address=address,
        user_agent=request.headers.get("user-agent"),
    )
    rotate_csrf_token(request)
    log.info("login: user=%d address=%s", user.id, address)
    record(
        session,
        actor=Actor(user_id=user.id, label=user.email, address=address),
        action="login.succeeded",
        target_type="user",
        target_id=user.id,
        target=user.email,
    )
    return RedirectResponse(safe_next(next), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: SessionDep) -> Response:
    end_session(session, session_id=request.session.get(SESSION_ID_KEY), reason="logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
