"""FastAPI dependencies shared by the API and web routers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from groundswell.auth.schemas import UserRead
from groundswell.auth.service import authenticate_token
from groundswell.auth.sessions import session_user
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.settings import Settings

_bearer = HTTPBearer(auto_error=False)


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> Iterator[Session]:
    """A session per request; committed when the route returns without error.

    A request that may write holds SQLite's write lock from its start (``write=True``),
    so its read-then-write cannot fail because a worker committed in between.

    The commit happens before the response leaves (``scope="function"``): with FastAPI's
    default the dependency's exit runs after the response is sent, so a browser that
    follows a post's redirect at once could read the state before the post's commit (a
    login's new session not yet stored, an admin's change missing from the page).
    """
    with db.session(write=request.method not in _READ_ONLY_METHODS) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]


def required_scope(method: str, path: str) -> str:
    """The token scope a request needs, decided from its method and path alone.

    So a new route is covered the day it is added: reads need ``read``, the ingest
    endpoint ``ingest``, ``/api/v1/admin`` ``admin``, and every other change ``engage``.
    """
    if path.startswith("/api/v1/admin"):
        return "admin"
    if path.rstrip("/") == "/api/v1/ingest":
        return "ingest"
    if method in ("GET", "HEAD", "OPTIONS"):
        return "read"
    return "engage"


def current_api_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UserRead:
    """The API accepts a bearer token, or the browser's logged-in session cookie.

    A request that sends a token is judged by the token alone (a bad token is not
    rescued by a cookie). A token acts within its scopes; a cookie acts with the user's
    role but must carry the CSRF token on every state-changing method, whatever route.
    """
    if credentials is not None:
        principal = authenticate_token(session, token=credentials.credentials)
        if principal is None:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="missing, invalid, expired or revoked API token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        needed = required_scope(request.method, request.url.path)
        if needed not in principal.scopes:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"this token lacks the {needed!r} scope",
            )
        return principal.user
    if "session" in request.scope and not request.headers.get("authorization"):
        found = session_user(
            session,
            user_id=request.session.get("user_id"),
            session_id=request.session.get("sid"),
        )
        if found is not None:
            browser_csrf(request)
            return found
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid API token",
        headers={"WWW-Authenticate": "Bearer"},
    )


ApiUser = Annotated[UserRead, Depends(current_api_user)]


def browser_csrf(request: Request) -> None:
    """A browser using its session cookie must send the CSRF header; token clients not.

    Bearer-token clients are not exposed to CSRF (a browser never attaches the token by
    itself), so the check applies only when there is no Authorization header.
    """
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer:
        return
    expected = request.session.get("csrf") if "session" in request.scope else None
    sent = request.headers.get("x-csrf-token")
    if not isinstance(expected, str) or not sent or not secrets.compare_digest(expected, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or wrong")


CSRF_CHECKED = [Depends(browser_csrf)]
"""Dependencies for every state-changing API route."""


def require_manager(what: str) -> Any:
    """A dependency admitting admins and analysts only; ``what`` names the action refused."""

    def check(user: ApiUser) -> UserRead:
        if user.role not in ("admin", "analyst"):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"only admins and analysts {what}")
        return user

    return Depends(check)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """Which non-public hosts outbound targets may use (``GROUNDSWELL_OUTBOUND_ALLOW_HOSTS``)."""
    return OutboundPolicy.from_setting(settings.outbound_allow_hosts)
