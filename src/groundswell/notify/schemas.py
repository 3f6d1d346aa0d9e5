"""What the webhook subscription API takes and returns (never a secret, except once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groundswell.notify.events import EVENT_TYPES

EventType = Literal[
    "interaction.stored",
    "case.opened",
    "case.assigned",
    "case.replied",
    "case.resolved",
    "alert.opened",
    "alert.resolved",
    "contact.merged",
    "channel.needs_reauth",
]
assert set(EventType.__args__) == set(EVENT_TYPES)  # type: ignore[attr-defined]


def _unique(types: list[EventType]) -> list[EventType]:
    if not types:
        raise ValueError("choose at least one event type")
    return sorted(set(types))


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=2000)
    event_types: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES) * 2)
    active: bool = True

    _types = field_validator("event_types")(_unique)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    event_types: list[EventType] | None = Field(
        default=None, min_length=1, max_length=len(EVENT_TYPES) * 2
    )
    active: bool | None = None

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[EventType] | None) -> list[EventType] | None:
        return None if value is None else _unique(value)


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    event_types: list[str]
    active: bool
    created_by: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str
    """The signing secret: in this response only, never shown again."""


class EventDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subscription_id: int | None
    event: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    payload: dict[str, Any]
