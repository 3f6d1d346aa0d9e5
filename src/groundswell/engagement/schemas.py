"""Pydantic shapes of engagement at the edges (API, pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from groundswell.core.bounds import Count, Id

View = Literal["mine", "unassigned", "team", "all", "breaching", "approval"]


class CaseRow(BaseModel):
    """One inbox line."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str
    status: str
    kind: str
    channel: str
    language: str | None
    sentiment_score: float | None
    intents: list[str]
    priority_score: float
    priority_label: str
    queue_id: int | None
    assignee_id: int | None
    contact_id: int | None
    tags: list[str]
    next_due_at: datetime | None
    breached_at: datetime | None
    last_activity_at: datetime
    version: int


class CaseRead(CaseRow):
    influence: float
    customer_value: float
    priority_reasons: list[Any]
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    first_responded_at: datetime | None
    pending_since: datetime | None
    opened_at: datetime
    resolved_at: datetime | None
    alert_id: int | None
    sla_policy_id: int | None


class InboxFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: View = "all"
    channel: str | None = Field(default=None, max_length=64)
    queue_id: int | None = None
    status: Literal["new", "open", "pending", "resolved", "closed", "active"] = "active"
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    language: str | None = Field(default=None, max_length=16)
    intent: str | None = Field(default=None, max_length=64)
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    tag: str | None = Field(default=None, max_length=50)
    segment_id: Id | None = None
    """Only cases whose contact is in this saved segment (``crm/segments.py``)."""
    sort: Literal["priority", "due", "recent"] = "priority"
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class InboxPage(BaseModel):
    cases: list[CaseRow]
    next_offset: int | None


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    kind: str
    data: dict[str, Any]


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    author_id: int | None
    text: str
    mentions: list[int]
    created_at: datetime


class ReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    interaction_id: int
    channel: str
    text: str
    visibility: str
    status: str
    approval_reasons: str | None
    attempts: int
    external_id: str | None
    url: str | None
    last_error: str | None
    author_id: int | None
    approved_by: int | None
    reject_reason: str | None
    kind: str
    created_at: datetime
    sent_at: datetime | None


class ThreadItem(BaseModel):
    interaction_id: int
    conversation_id: int | None
    channel: str
    direction: str
    text: str
    created_at: datetime
    author: str | None
    sentiment_label: str | None
    sentiment_score: float | None
    intents: list[str]
    url: str | None
    reply: ReplyRead | None = None


class CustomerPanel(BaseModel):
    contact_id: int | None
    name: str | None
    email: str | None
    identities: list[dict[str, Any]]
    other_cases: list[CaseRow]
    sentiment_trend: list[float]
    influence: float
    customer_value: float


class CaseDetail(BaseModel):
    case: CaseRead
    thread: list[ThreadItem]
    notes: list[NoteRead]
    events: list[EventRead]
    customer: CustomerPanel


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=20000)
    canned_id: Id | None = None
    visibility: Literal["public", "private"] | None = None
    seen_version: Count | None = None
    """The case version the composer showed; a newer one answers 409 unless ``force``."""
    force: bool = False
    via: str | None = Field(default=None, min_length=1, max_length=64)
    """Answer through this channel the customer also wrote on in the case (their latest
    message there) instead of the case's latest channel."""


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id | None = None
    queue_id: Id | None = None
    auto: bool = False


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["open", "pend", "resolve", "close", "reopen"]


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_id: Id
    """The duplicate case of the same customer, merged into the case of the path."""


class TagBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add: list[str] = Field(default_factory=list, max_length=20)
    remove: list[str] = Field(default_factory=list, max_length=20)


class BulkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_ids: list[Id] = Field(min_length=1, max_length=200)
    action: Literal["assign", "tag", "resolve", "canned_reply"]
    user_id: Id | None = None
    tag: str | None = Field(default=None, max_length=50)
    canned_id: Id | None = None


class BulkResult(BaseModel):
    done: list[int]
    refused: dict[int, str]


class ApprovalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    text: str | None = Field(default=None, max_length=20000)
    """Edit-and-approve: the corrected text."""
    reason: str | None = Field(default=None, max_length=2000)


class QueueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    strategy: Literal["round_robin", "least_loaded"] = "least_loaded"
    skills: list[str] = Field(default_factory=list, max_length=20)
    languages: list[str] = Field(default_factory=list, max_length=20)
    member_ids: list[Id] = Field(default_factory=list, max_length=500)


class QueueRead(BaseModel):
    id: int
    name: str
    strategy: str
    skills: list[str]
    languages: list[str]
    member_ids: list[int]
    open_cases: int = 0


class AgentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(default=None, ge=0, le=500)
    away: bool | None = None
    skills: list[str] | None = Field(default=None, max_length=20)
    languages: list[str] | None = Field(default=None, max_length=20)
    in_training: bool | None = None


class AgentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    capacity: int
    away: bool
    skills: list[str]
    languages: list[str]
    in_training: bool


class SlaPolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    channel: str | None = Field(default=None, max_length=64)
    first_response_min: int = Field(ge=1, le=525600)
    next_response_min: int | None = Field(default=None, ge=1, le=525600)
    resolution_min: int | None = Field(default=None, ge=1, le=525600)
    warn_before_min: int = Field(default=15, ge=0, le=10080)
    timezone: str = Field(default="UTC", max_length=64)
    hours: dict[str, str] = Field(default_factory=dict)
    holiday_country: str | None = Field(default=None, max_length=8)
    notify_kind: Literal["in_app", "email", "webhook", "slack"] = "in_app"
    notify_to: str | None = Field(default=None, max_length=2000)


class SlaPolicyRead(SlaPolicyCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int
    active: bool


class CannedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    shortcut: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")
    body: str = Field(min_length=1, max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=10)
    resolve: bool = False


class CannedRead(CannedCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int


class CsatAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class CsatRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    expires_at: datetime
    answered_at: datetime | None
    score: int | None
    comment: str | None


class DryRunRow(BaseModel):
    interaction_id: int
    channel: str
    text: str
    created_at: datetime
    matched: bool
