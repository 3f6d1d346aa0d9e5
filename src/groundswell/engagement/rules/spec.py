"""The shape of a rule: validated conditions and actions (the API and the engine share it)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from groundswell.core.bounds import Count, Id, Int64

Word = Annotated[str, Field(min_length=1, max_length=100)]


class Conditions(BaseModel):
    """Every condition set must hold (AND); a list matches any of its values (OR)."""

    model_config = ConfigDict(extra="forbid")

    channels: list[Word] | None = Field(default=None, max_length=50)
    subject_ids: list[Id] | None = Field(default=None, max_length=200)
    sentiments: list[Literal["negative", "neutral", "positive"]] | None = None
    sentiment_below: float | None = Field(default=None, ge=-1, le=1)
    intents: list[Word] | None = Field(default=None, max_length=50)
    languages: list[Annotated[str, Field(min_length=2, max_length=16)]] | None = Field(
        default=None, max_length=50
    )
    influence_min: float | None = Field(default=None, ge=0, le=100)
    """On enrichment's 0–100 influence scale."""
    keywords: list[Word] | None = Field(default=None, max_length=200)
    known_customer: bool | None = None
    """True: the author already has a case or an e-mail/phone on file."""
    business_hours: bool | None = None
    """True: only within the default schedule's opening hours; False: only outside."""


ActionType = Literal[
    "open_case", "assign_queue", "assign_agent", "set_priority", "tag", "auto_ack", "notify"
]


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ActionType
    queue_id: Id | None = None
    user_id: Id | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    tag: str | None = Field(default=None, min_length=1, max_length=50)
    canned_id: Id | None = None
    notify_kind: Literal["in_app", "email", "webhook", "slack"] | None = None
    notify_to: str | None = Field(default=None, max_length=2000)


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Count = 0
    """0 for a rule not saved yet."""
    name: str = Field(min_length=1, max_length=200)
    position: Int64 = 0
    stop: bool = False
    """Stop here: no later rule is looked at once this one matched."""
    active: bool = True
    conditions: Conditions = Field(default_factory=Conditions)
    actions: list[Action] = Field(min_length=1, max_length=20)
