"""The AT Protocol lexicons Groundswell reads, bounded (``app.bsky.*`` as published).

Declared by hand rather than taken from ``atproto.models`` so that one malformed item in
a page is refused alone (the SDK validates a whole response at once) and so the bounds
are ours. Field names are the lexicons' camelCase, by alias.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_CONFIG = ConfigDict(extra="ignore", populate_by_name=True)
AtUri = Field(min_length=10, max_length=1000, pattern=r"^at://[^/]+/[^/]+/[^/]+$")
Cid = Field(min_length=8, max_length=200)


class StrongRef(BaseModel):
    """``com.atproto.repo.strongRef``: a record by URI and content hash."""

    model_config = _CONFIG

    uri: str = AtUri
    cid: str = Cid


class ReplyRef(BaseModel):
    model_config = _CONFIG

    root: StrongRef
    parent: StrongRef


class PostRecord(BaseModel):
    """``app.bsky.feed.post`` (the record inside a notification or a post view)."""

    model_config = _CONFIG

    type: Literal["app.bsky.feed.post"] = Field(alias="$type")
    text: str = Field(max_length=3000)
    created_at: datetime = Field(alias="createdAt")
    reply: ReplyRef | None = None
    langs: list[str] | None = Field(default=None, max_length=3)


class ProfileView(BaseModel):
    model_config = _CONFIG

    did: str = Field(min_length=8, max_length=2048, pattern=r"^did:[a-z]+:[A-Za-z0-9._:%-]+$")
    handle: str = Field(min_length=3, max_length=253)
    display_name: str | None = Field(default=None, alias="displayName", max_length=640)
    description: str | None = Field(default=None, max_length=2560)
    followers_count: int | None = Field(default=None, alias="followersCount", ge=0)


class Notification(BaseModel):
    """One item of ``app.bsky.notification.listNotifications``."""

    model_config = _CONFIG

    uri: str = AtUri
    cid: str = Cid
    author: ProfileView
    reason: str = Field(max_length=64)
    record: dict[str, object]
    indexed_at: datetime = Field(alias="indexedAt")


class PostView(BaseModel):
    """``app.bsky.feed.defs#postView`` (``searchPosts``, ``getPosts``)."""

    model_config = _CONFIG

    uri: str = AtUri
    cid: str = Cid
    author: ProfileView
    record: PostRecord
    indexed_at: datetime = Field(alias="indexedAt")
    reply_count: int = Field(default=0, alias="replyCount", ge=0)
    repost_count: int = Field(default=0, alias="repostCount", ge=0)
    like_count: int = Field(default=0, alias="likeCount", ge=0)


class XrpcError(BaseModel):
    model_config = ConfigDict(extra="ignore")

    error: str = Field(max_length=200)
    message: str | None = Field(default=None, max_length=2000)


# --- Jetstream (the JSON firehose) ---------------------------------------------------------

Did = Field(min_length=8, max_length=2048, pattern=r"^did:[a-z]+:[A-Za-z0-9._:%-]+$")


class JetstreamCommit(BaseModel):
    """``commit`` of a Jetstream event: one record created, updated or deleted."""

    model_config = _CONFIG

    rev: str = Field(min_length=1, max_length=64)
    operation: Literal["create", "update", "delete"]
    collection: str = Field(min_length=3, max_length=317)
    rkey: str = Field(min_length=1, max_length=512)
    record: dict[str, object] | None = None
    cid: str | None = Field(default=None, min_length=8, max_length=200)


class JetstreamIdentity(BaseModel):
    model_config = _CONFIG

    did: str = Did
    handle: str | None = Field(default=None, min_length=3, max_length=253)


class JetstreamEvent(BaseModel):
    """One Jetstream message: ``commit``, ``identity`` or ``account`` (``time_us`` is the
    cursor, unix microseconds)."""

    model_config = _CONFIG

    did: str = Did
    time_us: int = Field(ge=0, le=10**17)
    kind: Literal["commit", "identity", "account"]
    commit: JetstreamCommit | None = None
    identity: JetstreamIdentity | None = None


class MentionFeature(BaseModel):
    model_config = _CONFIG

    type: str = Field(alias="$type", max_length=200)
    did: str | None = Field(default=None, max_length=2048)


class Facet(BaseModel):
    """``app.bsky.richtext.facet``; only mention features matter here."""

    model_config = _CONFIG

    features: list[MentionFeature] = Field(default_factory=list, max_length=100)
