"""Mastodon's entities as documented at docs.joinmastodon.org/entities, bounded.

Only the fields Groundswell reads are declared; the rest of an entity is ignored (servers
add fields release by release). Ids are strings on the wire; ``coerce_numbers_to_str``
also accepts the integers some forks send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_CONFIG = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
Id = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")


class Account(BaseModel):
    model_config = _CONFIG

    id: str = Id
    username: str = Field(min_length=1, max_length=100)
    acct: str = Field(min_length=1, max_length=400)
    display_name: str = Field(default="", max_length=400)
    url: str | None = Field(default=None, max_length=2000)
    note: str = Field(default="", max_length=20_000)
    followers_count: int = Field(default=0, ge=0)
    bot: bool = False


class Status(BaseModel):
    model_config = _CONFIG

    id: str = Id
    created_at: datetime
    in_reply_to_id: str | None = Field(default=None, max_length=64)
    in_reply_to_account_id: str | None = Field(default=None, max_length=64)
    visibility: Literal["public", "unlisted", "private", "direct"]
    content: str = Field(max_length=100_000)
    spoiler_text: str = Field(default="", max_length=2000)
    url: str | None = Field(default=None, max_length=2000)
    uri: str | None = Field(default=None, max_length=2000)
    language: str | None = Field(default=None, max_length=16)
    account: Account
    replies_count: int = Field(default=0, ge=0)
    reblogs_count: int = Field(default=0, ge=0)
    favourites_count: int = Field(default=0, ge=0)
    reblog: dict[str, object] | None = None


class Notification(BaseModel):
    model_config = _CONFIG

    id: str = Id
    type: str = Field(min_length=1, max_length=64)
    created_at: datetime
    account: Account
    status: Status | None = None


class ApiError(BaseModel):
    """The body of any 4xx or 5xx (``{"error": "..."}``)."""

    model_config = ConfigDict(extra="ignore")

    error: str = Field(max_length=2000)
    error_description: str | None = Field(default=None, max_length=2000)
