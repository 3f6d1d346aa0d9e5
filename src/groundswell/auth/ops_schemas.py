"""Shapes of the user, token, session and audit administration at the edges."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groundswell.auth.schemas import Role, UserCreate, refuse_control_characters

Scope = Literal["read", "ingest", "engage", "admin"]


def _read_only() -> list[Scope]:
    return ["read"]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    """The user the token acts as; default: the caller."""
    scopes: list[Scope] = Field(default_factory=_read_only, min_length=1, max_length=4)
    expires_in_days: int = Field(default=90, ge=1, le=3650)
    """Every token expires; at most ``GROUNDSWELL_API_TOKEN_MAX_DAYS`` days from now."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return refuse_control_characters(value) or value


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    user_id: int
    user_email: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class TokenCreated(TokenRead):
    token: str
    """The token itself, shown only in this response; only its digest is stored."""


class UserAdminRead(BaseModel):
    id: int
    email: str
    name: str | None
    role: Role
    active: bool
    created_at: datetime
    open_sessions: int
    active_tokens: int


class UserAdminCreate(UserCreate):
    """A new user from an operator; the password policy (not a fixed length) judges it."""

    password: str = Field(min_length=1, max_length=1000)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    role: Role | None = None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(min_length=1, max_length=1000)
    current_password: str | None = Field(default=None, max_length=1000)
    """Required when users change their own password."""


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str | None
    user_agent: str | None


class EndedSessions(BaseModel):
    ended: int


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    target: str | None
    details: dict[str, object]
    address: str | None
