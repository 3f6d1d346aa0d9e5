"""Shapes of corrections at the edges: what a person sends, what the API returns.

The intent classes are fixed here so the API, the web form and training agree on them;
a new class means retraining, not just a new string in a form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SentimentChoice = Literal["negative", "neutral", "positive"]
IntentChoice = Literal[
    "complaint", "support_question", "praise", "purchase_intent", "churn_threat", "spam"
]
SENTIMENT_CHOICES: tuple[str, ...] = get_args(SentimentChoice)
INTENT_CHOICES: tuple[str, ...] = get_args(IntentChoice)

HUMAN_MODEL = "human"
"""``sentiment_model`` of an interaction whose sentiment a person set."""


class CorrectionCreate(BaseModel):
    """A person's judgement of a post: the sentiment, the intents, or both.

    ``intents`` is the whole set the post shows (multi-label); an empty list says it shows
    none of them, which is different from leaving the field out (intents not judged).
    """

    model_config = ConfigDict(extra="forbid")

    sentiment: SentimentChoice | None = None
    intents: list[IntentChoice] | None = Field(default=None, max_length=len(INTENT_CHOICES))

    @field_validator("intents")
    @classmethod
    def _canonical(cls, value: list[IntentChoice] | None) -> list[IntentChoice] | None:
        """Duplicates collapse and the class order is kept, so equal sets compare equal."""
        if value is None:
            return None
        chosen = set(value)
        return [i for i in get_args(IntentChoice) if i in chosen]

    @model_validator(mode="after")
    def _something(self) -> CorrectionCreate:
        if self.sentiment is None and self.intents is None:
            raise ValueError("give sentiment, intents, or both")
        return self


class CorrectionRead(BaseModel):
    """One stored correction, with what the model had said before it."""

    id: int
    interaction_id: int
    sentiment: str | None
    intents: list[str] | None
    previous_sentiment: str | None
    previous_intents: list[str] | None
    model_version: str | None
    """What produced the previous values: an enricher version, or ``human``."""
    user_id: int | None
    user_name: str | None
    created_at: datetime


class ModelRead(BaseModel):
    """The sentiment and intent model this process enriches with."""

    mode: str
    """``lexicon`` (VADER) or ``model`` (the trained classifier), from settings."""
    name: str
    version: str
    versions: dict[str, str]
    """Every enricher's version, as stored on each interaction it enriches."""
