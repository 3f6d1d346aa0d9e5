"""Roles and shared helpers of the engagement API.

agent: works cases (reply, note, assign, resolve); lead: also approves replies and sets
up queues, canned responses, rules and SLA policies; admin: everything; analyst: reads.
Every refusal is a 403 naming the role, or a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

from fastapi import Depends, HTTPException, Request, status
from pydantic import BaseModel

from groundswell.api.deps import ApiUser
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.channels.base import Capabilities
from groundswell.channels.registry import ConnectorRegistry, UnknownChannel
from groundswell.channels.registry import registry as process_registry
from groundswell.core.errors import InvalidInputError
from groundswell.engagement.actions import Actor, CapsOf, Collision
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.settings import Settings

WORKERS = ("agent", "lead", "admin")
LEADS = ("lead", "admin")


def _require(user: UserRead, roles: tuple[str, ...], what: str) -> UserRead:
    if user.role not in roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role!r} may not {what} (needs {' or '.join(roles)})",
        )
    return user


def require_worker(user: ApiUser) -> UserRead:
    """Agents, leads and admins: the roles that work cases.

    Named functions rather than one factory, so each route's policy is visible in its
    dependencies (the authorization matrix test reads them).
    """
    return _require(user, WORKERS, "work cases")


def require_lead(user: ApiUser) -> UserRead:
    """Leads and admins: approvals and the engagement set-up."""
    return _require(user, LEADS, "do this")


def require_self_or_lead(user: ApiUser, user_id: PathId) -> UserRead:
    """A route about one user: that user themself, or a lead or admin."""
    if user.id != user_id and user.role not in LEADS:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role!r} may only change its own settings (needs lead or admin)",
        )
    return user


Worker = Annotated[UserRead, Depends(require_worker)]
Lead = Annotated[UserRead, Depends(require_lead)]
SelfOrLead = Annotated[UserRead, Depends(require_self_or_lead)]


def connectors(request: Request) -> ConnectorRegistry:
    found = getattr(request.app.state, "connectors", None)
    return found if isinstance(found, ConnectorRegistry) else process_registry


def caps_of(request: Request) -> CapsOf:
    reg = connectors(request)

    def lookup(channel: str) -> Capabilities | None:
        try:
            return reg.capabilities(channel)
        except UnknownChannel:
            return None

    return lookup


def actor(user: UserRead) -> Actor:
    return Actor(id=user.id, role=user.role, name=user.name or user.email.split("@")[0])


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class CollisionDetail(BaseModel):
    detail: str
    what: list[str]
    version: int


class CollisionBody(BaseModel):
    """The 409 of a reply on a case that changed since ``seen_version``."""

    detail: CollisionDetail


COLLISION_RESPONSE: dict[int | str, dict[str, Any]] = {
    409: {"model": CollisionBody, "description": "the case changed since seen_version"}
}


def refuse(exc: ReplyRefused | Collision) -> NoReturn:
    """Turn a domain refusal into the API's answer (403 role, 409 collision, 422 field)."""
    if isinstance(exc, Collision):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            {
                "detail": "the case changed since you opened it",
                "what": exc.what,
                "version": exc.version,
            },
        )
    if exc.status == 403:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{exc.reason} (field: {exc.field})")
    raise InvalidInputError(exc.reason, field=exc.field)
