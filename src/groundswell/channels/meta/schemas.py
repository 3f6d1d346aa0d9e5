"""Meta webhook payloads (Page ``feed`` changes, Instagram ``comments``, Messenger and
Instagram ``messaging``) and Graph API answers, as the Graph API documents them; bounded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_CONFIG = ConfigDict(extra="ignore")
GraphId = Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_.:-]+$")


class Sender(BaseModel):
    model_config = _CONFIG

    id: str = GraphId
    name: str | None = Field(default=None, max_length=300)
    username: str | None = Field(default=None, max_length=300)


class PageComment(BaseModel):
    """``changes[].value`` for ``field: feed``, ``item: comment``."""

    model_config = _CONFIG

    item: str = Field(max_length=32)
    verb: str = Field(max_length=32)
    comment_id: str = GraphId
    post_id: str = GraphId
    parent_id: str | None = Field(default=None, max_length=128)
    message: str = Field(default="", max_length=8000)
    created_time: int = Field(gt=1_100_000_000, lt=4_100_000_000)
    from_: Sender = Field(alias="from")


class MediaRef(BaseModel):
    model_config = _CONFIG

    id: str = GraphId
    media_product_type: str | None = Field(default=None, max_length=32)


class InstagramComment(BaseModel):
    """``changes[].value`` for Instagram ``field: comments``."""

    model_config = _CONFIG

    id: str = GraphId
    text: str = Field(max_length=2200)
    from_: Sender = Field(alias="from")
    media: MediaRef
    parent_id: str | None = Field(default=None, max_length=128)


class Change(BaseModel):
    model_config = _CONFIG

    field: str = Field(max_length=64)
    value: dict[str, object]


class MessageBody(BaseModel):
    model_config = _CONFIG

    mid: str = Field(min_length=1, max_length=400)
    text: str | None = Field(default=None, max_length=8000)
    is_echo: bool = False
    reply_to: dict[str, object] | None = None


class Messaging(BaseModel):
    model_config = _CONFIG

    sender: Sender
    recipient: Sender
    timestamp: int = Field(gt=1_100_000_000_000, lt=4_100_000_000_000)
    message: MessageBody | None = None


class Entry(BaseModel):
    model_config = _CONFIG

    id: str = GraphId
    time: int
    changes: list[dict[str, object]] = Field(default_factory=list, max_length=1000)
    messaging: list[dict[str, object]] = Field(default_factory=list, max_length=1000)


class Notification(BaseModel):
    model_config = _CONFIG

    entry: list[dict[str, object]] = Field(min_length=1, max_length=1000)
    kind: str = Field(alias="object", max_length=32)
    """``page`` or ``instagram``."""


class GraphError(BaseModel):
    model_config = _CONFIG

    message: str = Field(max_length=2000)
    type: str | None = Field(default=None, max_length=100)
    code: int | None = None
    error_subcode: int | None = None
    fbtrace_id: str | None = Field(default=None, max_length=100)
