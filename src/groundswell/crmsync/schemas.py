"""The CRM sync API's shapes: connection settings in, status and conflicts out.

Secrets (a Salesforce client secret, a HubSpot access token) are accepted and never
answered back: ``secrets_set`` lists which ones are stored, not their values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groundswell.core.textguard import refuse_control

System = Literal["salesforce", "hubspot"]
Scope = Literal["cases", "all"]


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    system: System
    base_url: str = Field(
        min_length=8,
        max_length=500,
        description="Salesforce: the org's My Domain URL; HubSpot: https://api.hubapi.com",
    )
    client_id: str | None = Field(default=None, max_length=300)
    client_secret: str | None = Field(default=None, max_length=300)
    access_token: str | None = Field(default=None, max_length=500)
    scope: Scope = "cases"
    enabled: bool = True

    @field_validator("name", "base_url", "client_id", "client_secret", "access_token")
    @classmethod
    def _no_control(cls, value: str | None) -> str | None:
        return None if value is None else refuse_control(value)


class ConnectionOut(BaseModel):
    id: int
    name: str
    system: System
    base_url: str
    client_id: str | None
    scope: Scope
    enabled: bool
    status: str
    status_detail: str | None
    secrets_set: list[str]
    last_sync_at: datetime | None
    next_attempt_at: datetime | None
    pull_cursor: str | None
    pushed_total: int
    pulled_total: int
    linked: dict[str, int]
    """Records mapped to the CRM, by kind (contact, case, interaction)."""
    queued: int
    open_conflicts: int
    error_count: int
    last_error: str | None
    last_error_at: datetime | None
    standin: bool


class SyncReport(BaseModel):
    connection: str
    status: str
    pushed: int = 0
    unchanged: int = 0
    pulled: int = 0
    applied: int = 0
    conflicts: int = 0
    failed: int = 0
    detail: str | None = None


class ConflictOut(BaseModel):
    id: int
    connection_id: int
    connection: str
    contact_id: int
    field: str
    base_value: str | None
    local_value: str | None
    remote_value: str | None
    local_changed_at: datetime | None
    remote_changed_at: str | None
    detected_at: datetime
    status: str
    resolution: str | None
    resolved_at: datetime | None


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: Literal["keep_local", "take_remote"]
