"""The one entry point the enrich worker calls: a post's facts in, an ``Enrichment`` out.

``Enricher`` holds what is expensive to build (the sentiment analyzer, the compiled subject
queries) and reuses it for every post. It never raises on a post's content: a post that
cannot be enriched would otherwise block its stream, and every text has a sensible answer
(empty text is neutral, language unknown, no entities, no subjects).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.enrichment.entities import ENTITIES_VERSION, extract_entities
from groundswell.enrichment.influence import INFLUENCE_VERSION, influence_score
from groundswell.enrichment.language import LANGUAGE_VERSION, detect_language
from groundswell.enrichment.query import (
    QUERY_LANGUAGE_VERSION,
    SubjectMatcher,
    tokenize_post,
)
from groundswell.enrichment.readable import UNREADABLE, is_readable
from groundswell.enrichment.sentiment import get_sentiment_analyzer

if TYPE_CHECKING:
    from groundswell.enrichment.base import SentimentAnalyzer
    from groundswell.enrichment.model.classifier import Prediction, SentimentIntentModel
    from groundswell.enrichment.model.hot import ReloadingModel

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
"""Longer texts (email bodies, pasted logs) are enriched on their first 20,000 characters;
no social post comes close, and it bounds the time one message can take."""

PREDICTION_CACHE = 20_000
"""Distinct texts whose model predictions are kept (a few MB)."""

FAILED_SUFFIX = "!failed"
"""Appended to a version when that enricher failed, so a re-score knows to redo it."""


@dataclass(frozen=True)
class PostFacts:
    """What enrichment needs to know about a post and its author."""

    text: str
    followers: int | None = None
    likes: int = 0
    shares: int = 0
    replies: int = 0
    verified: bool = False
    bio: str | None = None
    outbound: bool = False
    """Written by the company's own account: no customer intents, flagged ``outbound``."""


UNSUPPORTED_LANGUAGE = "unsupported_language"
OUTBOUND = "outbound"
"""The company's own post: its sentiment is its tone, not a customer's; no intents."""
MODEL_LANGUAGES = frozenset({"en"})
"""Languages the model was trained on; others still get a result, flagged."""

_NEUTRAL = Sentiment(score=0.0, label="neutral")
_UNKNOWN = Language(code=None, confidence=0.0)


class Enricher:
    """Runs sentiment, language, entities, subject matching and influence over posts.

    Entities from the author's bio are kept apart from the post's own, in
    ``Entities.profile_emails`` / ``profile_phones``: the CRM links a handle to a contact by
    exact email or phone, and a bio speaks for its author while a post may quote others.
    """

    def __init__(
        self,
        *,
        sentiment_mode: str = "lexicon",
        subjects: Iterable[tuple[int, str]] = (),
        model_store: str | None = None,
    ) -> None:
        self._sentiment: SentimentAnalyzer = get_sentiment_analyzer(sentiment_mode)
        self._model: SentimentIntentModel | ReloadingModel | None = None
        if sentiment_mode == "model":
            from groundswell.enrichment.model.classifier import SentimentIntentModel

            if isinstance(self._sentiment, SentimentIntentModel):
                self._model = self._sentiment
                if model_store:
                    from groundswell.enrichment.model.hot import shared_reloading_model

                    self._model = shared_reloading_model(model_store, shipped=self._sentiment)
                    self._sentiment = self._model
        self.sentiment_mode = sentiment_mode
        self.versions: dict[str, str] = {
            "sentiment": self._sentiment.version,
            "language": LANGUAGE_VERSION,
            "entities": ENTITIES_VERSION,
            "influence": INFLUENCE_VERSION,
        }
        if self._model is not None:
            self.versions["intent"] = getattr(self._model, "intent_version", self._model.version)
        self._cache: OrderedDict[tuple[str, str], Prediction] = OrderedDict()
        self.set_subjects(subjects)

    @property
    def matcher(self) -> SubjectMatcher:
        """The current subject matcher; its ``errors`` lists subjects with invalid queries."""
        return self._matcher

    def set_subjects(self, subjects: Iterable[tuple[int, str]]) -> None:
        """Replace the subjects (id, query) matched from now on; invalid queries are skipped."""
        self._matcher = SubjectMatcher(subjects)
        for subject_id, error in self._matcher.errors.items():
            logger.warning("subject %s has an invalid query: %s", subject_id, error)
        self.versions = {
            **self.versions,
            "subjects": f"{QUERY_LANGUAGE_VERSION}:{self._matcher.fingerprint}",
        }

    def enrich(self, facts: PostFacts) -> Enrichment:
        """Enrich one post; never raises because of its content."""
        return self.enrich_many([facts])[0]

    def _predict(self, texts: list[str]) -> list[Prediction] | None:
        """The model's predictions for a batch, or ``None`` if the model failed on it."""
        if self._model is None:
            return None
        try:
            predictions = self._model.predict_many(texts)
            if self._model.version != self.versions.get("sentiment"):
                # The store promoted or rolled back a model: results say which one made them.
                self.versions = {**self.versions, "sentiment": self._model.version}
                self.versions["intent"] = getattr(
                    self._model, "intent_version", self._model.version
                )
            return predictions
        except Exception:
            logger.exception("sentiment model failed on a batch of %d", len(texts))
            return None

    def _predict_cached(self, texts: list[str]) -> list[Prediction | None]:
        """Predictions for ``texts``, running the model only on texts it has not seen.

        Streams repeat themselves (retweets, copied complaints, spam runs, the demo's
        history tiled from one sample), and the model is most of a post's cost. Results
        are kept per model version for the last ``PREDICTION_CACHE`` distinct texts.
        """
        assert self._model is not None
        refresh = getattr(self._model, "refresh", None)
        if refresh is not None:
            refresh()
        version = self._model.version
        found: dict[str, Prediction] = {}
        for text in texts:
            hit = self._cache.get((version, text))
            if hit is not None:
                found[text] = hit
                self._cache.move_to_end((version, text))
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            whole = self._predict(missing)
            batch: list[Prediction | None] = (
                list(whole) if whole is not None else [self._predict_one(t) for t in missing]
            )
            for text, prediction in zip(missing, batch, strict=True):
                if prediction is None:
                    continue
                found[text] = prediction
                self._cache[(version, text)] = prediction
            while len(self._cache) > PREDICTION_CACHE:
                self._cache.popitem(last=False)
        return [found.get(t) for t in texts]

    def _predict_one(self, text: str) -> Prediction | None:
        alone = self._predict([text])
        return alone[0] if alone else None

    def _enrich_one(self, facts: PostFacts, text: str, prediction: Prediction | None) -> Enrichment:
        versions = dict(self.versions)
        flags: tuple[str, ...] = ()
        if prediction is not None:
            sentiment, flags = prediction.sentiment, prediction.flags
        elif self._model is not None:
            sentiment = _NEUTRAL
            for key in ("sentiment", "intent"):
                versions[key] = versions[key] + FAILED_SUFFIX
        else:
            try:
                sentiment = self._sentiment.analyze(text)
                if sentiment.score == 0.0 and text.strip() and not is_readable(text):
                    flags = (UNREADABLE,)
            except Exception:
                logger.exception("sentiment failed")
                sentiment, versions["sentiment"] = _NEUTRAL, versions["sentiment"] + FAILED_SUFFIX
        try:
            language = detect_language(text)
        except Exception:
            logger.exception("language detection failed")
            language, versions["language"] = _UNKNOWN, versions["language"] + FAILED_SUFFIX
        try:
            bio = facts.bio[:MAX_TEXT_CHARS] if isinstance(facts.bio, str) else None
            entities = extract_entities(text, bio)
        except Exception:
            logger.exception("entity extraction failed")
            entities, versions["entities"] = Entities(), versions["entities"] + FAILED_SUFFIX
        try:
            subject_ids = self._matcher.match(tokenize_post(text))
        except Exception:
            logger.exception("subject matching failed")
            subject_ids, versions["subjects"] = (), versions["subjects"] + FAILED_SUFFIX
        try:
            influence = influence_score(
                facts.followers, facts.likes, facts.shares, facts.replies, facts.verified
            )
        except Exception:
            logger.exception("influence failed")
            influence, versions["influence"] = 0.0, versions["influence"] + FAILED_SUFFIX

        result = Enrichment(
            language=language,
            sentiment=sentiment,
            entities=entities,
            influence=influence,
            subject_ids=subject_ids,
            versions=versions,
            flags=flags,
        )
        if facts.outbound:
            result = replace(result, flags=(*result.flags, OUTBOUND))
        if prediction is None:
            return result
        if language.code is not None and language.code not in MODEL_LANGUAGES:
            flags = (*flags, UNSUPPORTED_LANGUAGE)
        if facts.outbound:
            return replace(result, flags=(*flags, OUTBOUND))
        return replace(result, intent=prediction.intent, intents=prediction.intents, flags=flags)

    def enrich_many(self, facts: Sequence[PostFacts]) -> list[Enrichment]:
        """Enrich a batch, in order; one post's failure never affects another's result.

        In model mode the whole batch goes through the model at once (it batches by
        length); if the model fails on the batch, each post is retried alone so one bad
        post cannot take its neighbours' results with it.
        """
        texts = [_clip(f.text) for f in facts]
        predictions: list[Prediction | None] = [None] * len(texts)
        if self._model is not None and texts:
            predictions = self._predict_cached(texts)
        return [
            self._enrich_one(f, t, p) for f, t, p in zip(facts, texts, predictions, strict=True)
        ]


def _clip(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return text[:MAX_TEXT_CHARS]
