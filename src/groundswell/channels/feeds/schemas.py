"""What a feed entry must have to become a post, checked after ``feedparser`` normalised
RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 into one shape."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=2000)
    summary: str = Field(default="", max_length=200_000)
    link: str | None = Field(default=None, max_length=2000)
    author: str | None = Field(default=None, max_length=300)
    author_email: str | None = Field(default=None, max_length=320)
    published: datetime | None = None


class FeedState(BaseModel):
    """The cursor: validators for the conditional GET and the ids already published."""

    model_config = ConfigDict(extra="ignore")

    etag: str | None = Field(default=None, max_length=500)
    modified: str | None = Field(default=None, max_length=100)
    seen: list[str] = Field(default_factory=list, max_length=2000)
