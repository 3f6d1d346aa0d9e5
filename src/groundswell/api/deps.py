"""FastAPI dependencies shared by the API and web routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from groundswell.auth.schemas import UserRead
from groundswell.auth.service import get_user, verify_api_token
from groundswell.core.db import Database
from groundswell.settings import Settings

_bearer = HTTPBearer(auto_error=False)


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(db: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """A session per request; committed when the route returns without error."""
    with db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_api_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UserRead:
    """The API accepts a bearer token, or the browser's logged-in session cookie."""
    if credentials is not None:
        user = verify_api_token(session, token=credentials.credentials)
        if user is not None:
            return user
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if isinstance(user_id, int):
        found = get_user(session, user_id=user_id)
        if found is not None:
            return found
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid API token",
        headers={"WWW-Authenticate": "Bearer"},
    )


ApiUser = Annotated[UserRead, Depends(current_api_user)]
