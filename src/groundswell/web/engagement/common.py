"""Helpers the engagement pages share: connector capabilities, the actor, labels."""

from __future__ import annotations

from fastapi import Request

from groundswell.api.engagement.deps import caps_of as api_caps_of
from groundswell.auth.schemas import UserRead
from groundswell.engagement.actions import Actor, CapsOf

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


def connector_label(request: Request, channel: str) -> str | None:
    """What actually carries replies on this channel, e.g. "X API v2 (local stand-in)"."""
    from groundswell.api.engagement.deps import connectors

    try:
        connector = connectors(request).get(channel)
    except LookupError:
        return None
    return str(getattr(connector, "label", type(connector).__name__))
