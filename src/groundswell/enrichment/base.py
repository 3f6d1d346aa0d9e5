"""The enrichment contract: pure functions from post text (and author facts) to results.

Every enricher has a ``name`` and ``version`` that are stored with each interaction, so
a later re-score knows what produced a value. Enrichers never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

SENTIMENT_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class Sentiment:
    score: float
    """Signed polarity in [-1, 1]."""
    label: str
    """One of ``SENTIMENT_LABELS``."""
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Language:
    code: str | None
    """ISO 639-1 code, or ``None`` when the text gives too little to tell."""
    confidence: float


@dataclass(frozen=True, slots=True)
class Entities:
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    """Normalised to E.164 where possible."""
    orders: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "emails": list(self.emails),
            "phones": list(self.phones),
            "orders": list(self.orders),
        }


@dataclass(frozen=True, slots=True)
class Enrichment:
    language: Language
    sentiment: Sentiment
    entities: Entities
    influence: float
    subject_ids: tuple[int, ...]
    intent: str | None = None
    versions: dict[str, str] = field(default_factory=dict)


class SentimentAnalyzer(Protocol):
    name: str
    version: str

    def analyze(self, text: str) -> Sentiment: ...
