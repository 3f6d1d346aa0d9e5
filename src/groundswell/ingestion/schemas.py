"""The one normalized shape every source is turned into before the pipeline.

Validation here is the edge: anything that passes is safe for every later stage, and
anything that fails produces errors naming the field, so the source can keep the record
in the dead-letter table with its reason.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from groundswell.core.bounds import Count
from groundswell.core.clock import to_utc, utcnow
from groundswell.core.textguard import CONTROL, check_json_value, refuse_control, strip_control

CHANNEL_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_CONTROL = CONTROL

DEFAULT_MAX_TEXT = 10_000
DEFAULT_MAX_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2006, 1, 1).astimezone()


def _strip(value: str) -> str:
    return value.strip()


Str200 = Annotated[
    str, AfterValidator(_strip), AfterValidator(refuse_control), Field(min_length=1, max_length=200)
]


def _refuse_control_opt(value: str | None) -> str | None:
    return None if value is None else refuse_control(value)


def _strip_control_opt(value: str | None) -> str | None:
    return None if value is None else strip_control(value)


Exact = AfterValidator(_refuse_control_opt)
"""Identifiers, handles, URLs, addresses: a control character refuses the record."""
Prose = AfterValidator(_strip_control_opt)
"""Names and bios, shown to people: control characters are dropped."""


class Author(BaseModel):
    """Who wrote the post, as the network describes them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: Str200
    handle: Annotated[str | None, Exact] = Field(default=None, max_length=200)
    display_name: Annotated[str | None, Prose] = Field(default=None, max_length=300)
    followers: Count | None = None
    verified: bool = False
    profile_url: Annotated[str | None, Exact] = Field(default=None, max_length=2000)
    email: Annotated[str | None, Exact] = Field(default=None, max_length=320)
    phone: Annotated[str | None, Exact] = Field(default=None, max_length=40)
    bio: Annotated[str | None, Prose] = Field(default=None, max_length=2000)
    location: Annotated[str | None, Prose] = Field(default=None, max_length=200)
    """The place the profile gives, as free text ("Denver, CO")."""
    timezone: Annotated[str | None, Exact] = Field(default=None, max_length=64)
    """The profile's time zone as the network names it ("Europe/Paris")."""


class Engagement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    likes: Count = 0
    shares: Count = 0
    replies: Count = 0


class InboundPost(BaseModel):
    """A post or message from any channel, normalized.

    Context keys ``max_text_length`` and ``max_future_skew`` (a timedelta) and ``now``
    override the defaults when validating with ``model_validate(..., context=…)``.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    channel: str = Field(min_length=1, max_length=64)
    external_id: Str200
    direction: Literal["in", "out"] = "in"
    text: str
    created_at: datetime
    author: Author
    url: Annotated[str | None, Exact] = Field(default=None, max_length=2000)
    reply_to_external_id: Annotated[str | None, Exact] = Field(default=None, max_length=200)
    engagement: Engagement = Field(default_factory=Engagement)
    private: bool = False
    """A one-to-one message (a DM, an e-mail, an SMS, a chat), not public talk: its text
    is shown only to roles that answer private messages (see ``crm.visibility``). The
    pipeline also marks every post of a private-only channel kind (email, SMS, webchat)."""
    raw: Annotated[dict[str, Any] | None, AfterValidator(check_json_value)] = None
    """The network's own record, bounded in depth and size so it always serialises."""

    @field_validator("channel")
    @classmethod
    def _channel_key(cls, value: str) -> str:
        value = value.strip().lower()
        if not CHANNEL_KEY.fullmatch(value):
            raise ValueError("must be a lowercase slug of letters, digits, '.', '_' or '-'")
        return value

    @field_validator("text")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        ctx = info.context or {}
        limit = int(ctx.get("max_text_length", DEFAULT_MAX_TEXT))
        cleaned = _CONTROL.sub("", value).strip()
        if not cleaned:
            raise ValueError("is empty")
        if len(cleaned) > limit:
            raise ValueError(f"is {len(cleaned)} characters long; the limit is {limit}")
        return cleaned

    @field_validator("created_at")
    @classmethod
    def _created_at(cls, value: datetime, info: ValidationInfo) -> datetime:
        ctx = info.context or {}
        try:
            value = to_utc(value)
        except OverflowError:
            raise ValueError("is outside the range of dates this server can store") from None
        now = ctx.get("now") or utcnow()
        skew = ctx.get("max_future_skew", DEFAULT_MAX_SKEW)
        if value > now + skew:
            raise ValueError(
                f"is {value.isoformat()}, more than {int(skew.total_seconds())} s in the future"
            )
        if value < EARLIEST:
            raise ValueError(f"is {value.isoformat()}, before {EARLIEST.year}")
        return value

    @field_validator("reply_to_external_id")
    @classmethod
    def _reply_to(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value or None


class PostError(BaseModel):
    """Why one record was refused: which record, which field, what was wrong."""

    record: str
    field: str | None
    reason: str


class IngestResult(BaseModel):
    """What a batch submission did: how many accepted, and each refusal."""

    accepted: int
    rejected: int
    errors: list[PostError]
