"""What the widget sends and receives; every field bounded, every refusal names its field."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groundswell.core.textguard import strip_control

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAX_MESSAGE = 2000


def normal_email(value: str) -> str:
    """Lower-cased address of the common shape, or ValueError (kept strict on purpose:
    the address is an identity key that links to the contact on every other channel)."""
    value = value.strip().lower()
    if len(value) > 254 or not EMAIL.fullmatch(value) or ".." in value:
        raise ValueError("is not a valid e-mail address")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartIn(_In):
    email: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=100)
    consent: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normal_email(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        cleaned = strip_control(value or "").strip()
        return cleaned or None


class MessageIn(_In):
    client_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    """Chosen by the widget once per message: a re-send with the same id is the same message."""
    text: str = Field(max_length=MAX_MESSAGE)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        cleaned = strip_control(value).strip()
        if not cleaned:
            raise ValueError("is empty")
        return cleaned


class MessageOut(BaseModel):
    id: int
    direction: Literal["in", "out"]
    text: str
    created_at: datetime
    client_id: str | None = None
    """The widget's own id for a visitor message, so it can match what it sent."""


class Started(BaseModel):
    token: str
    greeting: str


class Page(BaseModel):
    messages: list[MessageOut]
    cursor: int
    """Pass back as ``after`` to get only what came since."""
