"""Pydantic shapes for users at the edges (CLI, API, templates)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refuse_control_characters(value: str | None) -> str | None:
    """Names and emails are shown and stored as text: NUL and control characters are
    refused (PostgreSQL cannot store NUL in text at all)."""
    if value is not None and _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Role = Literal["admin", "agent", "analyst", "lead"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=8, max_length=1000)
    role: Role = "agent"
    name: str | None = Field(default=None, max_length=200)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return refuse_control_characters(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        refuse_control_characters(value)
        value = value.strip().lower()
        local, _, domain = value.partition("@")
        if not local or not domain or " " in value:
            raise ValueError("is not an email address")
        return value


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str | None
    role: Role
    active: bool
