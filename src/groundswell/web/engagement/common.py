"""Helpers the engagement pages share: connector capabilities, the actor, labels."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from groundswell.api.engagement.deps import caps_of as api_caps_of
from groundswell.auth.schemas import UserRead
from groundswell.engagement.actions import Actor, CapsOf
from groundswell.web.deps import WebUser

WORKERS = ("agent", "lead", "admin")
STANDIN_NOTE = "local stand-in"


def caps_of(request: Request) -> CapsOf:
    return api_caps_of(request)


def actor(user: UserRead) -> Actor:
    return Actor(id=user.id, role=user.role, name=user.name or user.email.split("@")[0])


def can_work(user: UserRead) -> bool:
    return user.role in WORKERS


def can_approve(user: UserRead) -> bool:
    return user.role in ("lead", "admin")


def web_worker(user: WebUser) -> UserRead:
    """Agents, leads and admins act on cases; refused before the form is read."""
    if not can_work(user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Analysts read the inbox; only agents, leads and admins act on cases.",
        )
    return user


WebWorker = Annotated[UserRead, Depends(web_worker)]


def connector_label(request: Request, channel: str) -> str | None:
    """What actually carries replies on this channel, e.g. "X API v2 (local stand-in)"."""
    from groundswell.api.engagement.deps import connectors

    try:
        connector = connectors(request).get(channel)
    except LookupError:
        return None
    return str(getattr(connector, "label", type(connector).__name__))
