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
    """Order, booking, ticket or case references, upper-cased."""
    profile_emails: tuple[str, ...] = ()
    """Emails found in the author's profile (bio), kept apart from the post's own.

    The CRM links a handle to a contact by exact email/phone; a bio is the author speaking
    about themselves, while a post may quote someone else's address, so the source matters.
    """
    profile_phones: tuple[str, ...] = ()
    """Phones found in the author's profile (bio), E.164."""

    def as_dict(self) -> dict[str, list[str]]:
        """JSON shape stored on an interaction.

        The ``profile_*`` keys appear only when non-empty, so results without a bio keep the
        original three-key shape.
        """
        data = {
            "emails": list(self.emails),
            "phones": list(self.phones),
            "orders": list(self.orders),
        }
        if self.profile_emails:
            data["profile_emails"] = list(self.profile_emails)
        if self.profile_phones:
            data["profile_phones"] = list(self.profile_phones)
        return data


@dataclass(frozen=True, slots=True)
class Enrichment:
    language: Language
    sentiment: Sentiment
    entities: Entities
    influence: float
    subject_ids: tuple[int, ...]
    intent: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    intents: dict[str, float] = field(default_factory=dict)
    """Every intent judged present, with its probability (multi-label)."""
    flags: tuple[str, ...] = ()
    """Caveats such as ``unsupported_language`` or ``empty_text``."""


class SentimentAnalyzer(Protocol):
    name: str
    version: str

    def analyze(self, text: str) -> Sentiment: ...
