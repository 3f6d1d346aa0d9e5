"""YouTube Data API v3 ``commentThread`` and ``comment`` resources, bounded."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

_CONFIG = ConfigDict(extra="ignore", populate_by_name=True)
YtId = Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_.-]+$")


class ChannelRef(BaseModel):
    model_config = _CONFIG

    value: str = YtId


class CommentSnippet(BaseModel):
    model_config = _CONFIG

    video_id: str | None = Field(default=None, alias="videoId", max_length=64)
    text_original: str = Field(alias="textOriginal", max_length=10_000)
    author_display_name: str = Field(alias="authorDisplayName", max_length=300)
    author_channel_url: str | None = Field(default=None, alias="authorChannelUrl", max_length=500)
    author_channel_id: ChannelRef | None = Field(default=None, alias="authorChannelId")
    like_count: int = Field(default=0, alias="likeCount", ge=0)
    published_at: datetime = Field(alias="publishedAt")
    parent_id: str | None = Field(default=None, alias="parentId", max_length=128)


class Comment(BaseModel):
    model_config = _CONFIG

    id: str = YtId
    snippet: CommentSnippet


class ThreadSnippet(BaseModel):
    model_config = _CONFIG

    video_id: str | None = Field(default=None, alias="videoId", max_length=64)
    top_level_comment: Comment = Field(alias="topLevelComment")
    total_reply_count: int = Field(default=0, alias="totalReplyCount", ge=0)


class Replies(BaseModel):
    model_config = _CONFIG

    comments: list[Comment] = Field(default_factory=list, max_length=100)


class CommentThread(BaseModel):
    model_config = _CONFIG

    id: str = YtId
    snippet: ThreadSnippet
    replies: Replies | None = None


class ErrorItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: str | None = Field(default=None, max_length=100)
    domain: str | None = Field(default=None, max_length=100)


class ApiError(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: int
    message: str = Field(max_length=2000)
    errors: list[ErrorItem] = Field(default_factory=list, max_length=20)
