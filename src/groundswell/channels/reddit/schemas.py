"""Reddit's listing things (``t1`` comments, ``t3`` links) as the JSON API returns them.

Only the fields Groundswell reads, bounded; ``raw_json=1`` is requested so text fields
arrive unescaped.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_CONFIG = ConfigDict(extra="ignore")
Fullname = Field(min_length=4, max_length=32, pattern=r"^t[1-6]_[0-9a-z]+$")


class Thing(BaseModel):
    """What comments and links share."""

    model_config = _CONFIG

    id: str = Field(min_length=1, max_length=24, pattern=r"^[0-9a-z]+$")
    name: str = Fullname
    author: str = Field(min_length=1, max_length=40)
    author_fullname: str | None = Field(default=None, max_length=32)
    created_utc: float = Field(gt=1.1e9, lt=4.1e9)
    permalink: str = Field(max_length=2000)
    subreddit: str = Field(max_length=64)
    score: int = 0


class Link(Thing):
    title: str = Field(min_length=1, max_length=300)
    selftext: str = Field(default="", max_length=40_000)
    num_comments: int = Field(default=0, ge=0)
    url: str | None = Field(default=None, max_length=2000)


class Comment(Thing):
    body: str = Field(min_length=1, max_length=10_000)
    parent_id: str = Fullname
    link_id: str = Fullname


class Child(BaseModel):
    model_config = _CONFIG

    kind: Literal["t1", "t3"]
    data: dict[str, object]


class ListingData(BaseModel):
    model_config = _CONFIG

    after: str | None = Field(default=None, max_length=32)
    before: str | None = Field(default=None, max_length=32)
    children: list[dict[str, object]] = Field(max_length=100)


class Listing(BaseModel):
    model_config = _CONFIG

    kind: Literal["Listing"]
    data: ListingData


class TokenResponse(BaseModel):
    """``POST /api/v1/access_token``."""

    model_config = _CONFIG

    access_token: str = Field(min_length=1, max_length=4000)
    token_type: str
    expires_in: int = Field(gt=0)
    scope: str
