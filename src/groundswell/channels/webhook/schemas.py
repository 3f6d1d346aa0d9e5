"""The generic webhook's envelope and its touchpoint events (documented in
docs/channels/webhook.md). Posts inside ``post`` events are ``InboundPost``-shaped and are
validated by ingestion like any other source."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator


class TouchpointContact(BaseModel):
    """Who the touchpoint was with; at least one key so it can join the contact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _has_a_key(self) -> TouchpointContact:
        if not (self.external_id or self.email or self.phone):
            raise ValueError("needs external_id, email or phone")
        return self


class Touchpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200)
    kind: Literal["call", "store_visit", "survey"]
    occurred_at: datetime
    contact: TouchpointContact
    summary: str = Field(default="", max_length=10_000)
    direction: Literal["in", "out"] = "in"
    duration_seconds: int | None = Field(default=None, ge=0, le=86_400)
    location: str | None = Field(default=None, max_length=300)
    survey: str | None = Field(default=None, max_length=300)
    score: int | None = Field(default=None, ge=0, le=10)
    in_reply_to: str | None = Field(default=None, max_length=200)


class PostEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["post"]
    data: dict[str, object]


class TouchpointEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["touchpoint"]
    data: Touchpoint


Event = Annotated[PostEvent | TouchpointEvent, Field(discriminator="type")]


class AnyEvent(RootModel[Event]):
    """One event of either type, told apart by ``type``."""


class Envelope(BaseModel):
    """One delivery: up to 500 events."""

    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, object]] = Field(min_length=1, max_length=500)
