"""An audit entry for an admin route, as a dependency: written only when the route succeeds.

Admin changes that live in domains which may not import ``auth`` (channels) or that
have no session of their own (the model store) are audited at their routes. The entry
is written after the route returned, in the request's session, so it commits with the
change and a refused or failed request leaves no entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from groundswell.api.client_address import client_address
from groundswell.api.deps import SessionDep
from groundswell.auth.audit import Actor, record
from groundswell.auth.schemas import UserRead
from groundswell.auth.service import verify_api_token
from groundswell.auth.sessions import session_user


def _who(request: Request, session: Session) -> UserRead | None:
    """The caller, already authenticated by the route's own dependency."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return _bearer_user(request, session)
    if "session" not in request.scope:
        return None
    return session_user(
        session, user_id=request.session.get("user_id"), session_id=request.session.get("sid")
    )


def _bearer_user(request: Request, session: Session) -> UserRead | None:
    token = request.headers["authorization"].split(" ", 1)[1].strip()
    return verify_api_token(session, token=token)


def audited(action: str, target_type: str, target_param: str) -> Any:
    """``dependencies=[audited("channel.pause", "channel", "key")]`` on an admin route."""

    def audit_after_success(request: Request, session: SessionDep) -> Iterator[None]:
        yield
        user = _who(request, session)
        label = user.email if user else "unknown"
        record(
            session,
            actor=Actor(
                user_id=user.id if user else None, label=label, address=client_address(request)
            ),
            action=action,
            target_type=target_type,
            target_id=str(request.path_params.get(target_param, ""))[:64] or None,
        )

    return Depends(audit_after_success, scope="function")
