"""What the API and pages see of a channel account: never its credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SourceOut(BaseModel):
    name: str
    activity: str
    cursor: str | None
    lease_owner: str | None
    lease_until: datetime | None
    next_attempt_at: datetime | None
    last_fetch_at: datetime | None
    last_event_at: datetime | None
    lag_seconds: float | None
    """How old the newest post was when it was read (None before any post)."""
    posts_total: int
    error_count: int
    last_error: str | None
    last_error_at: datetime | None


class AccountOut(BaseModel):
    id: int
    key: str
    kind: str
    name: str
    enabled: bool
    status: str
    status_detail: str | None
    config: dict[str, Any]
    """Non-secret settings only."""
    secrets_set: list[str]
    """Names of the secrets that are stored (their values are never shown)."""
    monthly_budget: float | None
    cost_per_read: float
    budget_month: str | None
    budget_used: float
    budget_shed: list[str]
    rate_limits: dict[str, Any]
    standin: bool
    sources: list[SourceOut]
    created_at: datetime
    updated_at: datetime


class AccountIn(BaseModel):
    """A new connection: ``settings`` holds config and secrets alike, split on save."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=32)
    key: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    monthly_budget: float | None = Field(default=None, ge=0)
    cost_per_read: float = Field(default=0.0, ge=0)


class AccountUpdate(BaseModel):
    """Changed settings only; a secret left out (or empty) keeps its stored value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = None
    monthly_budget: float | None = Field(default=None, ge=0)
    cost_per_read: float | None = Field(default=None, ge=0)
