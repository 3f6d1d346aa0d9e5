"""The Enricher in model mode: labels, confidence, intents, flags and versions."""

from __future__ import annotations

import pytest

from groundswell.enrichment.model.classifier import EMPTY_TEXT
from groundswell.enrichment.pipeline import (
    FAILED_SUFFIX,
    UNSUPPORTED_LANGUAGE,
    Enricher,
    PostFacts,
)
from groundswell.enrichment.sentiment import SENTIMENT_MODES, get_sentiment_analyzer


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(sentiment_mode="model", subjects=[(1, "@united OR united")])


def test_modes_are_lexicon_and_model() -> None:
    assert SENTIMENT_MODES == ("lexicon", "model")
    assert get_sentiment_analyzer("model") is get_sentiment_analyzer("model")


def test_model_mode_fills_sentiment_confidence_intents_and_versions(enricher: Enricher) -> None:
    result = enricher.enrich(PostFacts(text="@united lost my bag AGAIN. Worst airline ever!"))
    assert result.sentiment.label == "negative"
    assert result.sentiment.confidence is not None and 0.34 < result.sentiment.confidence <= 1
    assert result.intent == "complaint"
    assert "complaint" in result.intents
    assert result.subject_ids == (1,)
    assert result.versions["sentiment"].startswith("minilm-sent-")
    # The intent head is versioned on its own: a refit head changes intents, not sentiment.
    assert result.versions["intent"] == f"{result.versions['sentiment']}+intents3"
    assert result.flags == ()


def test_non_english_posts_are_flagged(enricher: Enricher) -> None:
    result = enricher.enrich(PostFacts(text="Le vol est encore en retard, c'est inadmissible !"))
    assert result.language.code == "fr"
    assert UNSUPPORTED_LANGUAGE in result.flags


def test_empty_post_is_flagged_and_neutral(enricher: Enricher) -> None:
    result = enricher.enrich(PostFacts(text=""))
    assert result.flags == (EMPTY_TEXT,)
    assert result.sentiment.label == "neutral"
    assert result.intent is None


def test_enrich_many_matches_enrich_in_order(enricher: Enricher) -> None:
    texts = ["@united thanks, great crew!", "", "@united where is my bag?", "ok"]
    many = enricher.enrich_many([PostFacts(text=t) for t in texts])
    single = [enricher.enrich(PostFacts(text=t)) for t in texts]
    assert [r.sentiment.label for r in many] == [r.sentiment.label for r in single]
    assert [r.flags for r in many] == [r.flags for r in single]
    assert many[0].sentiment.label == "positive"


def test_a_model_failure_leaves_a_neutral_result_and_a_marked_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enricher = Enricher(sentiment_mode="model")

    def broken(texts: object) -> object:
        raise RuntimeError("onnx session died")

    monkeypatch.setattr(enricher._model, "predict_many", broken)
    result = enricher.enrich(PostFacts(text="@united great flight"))
    assert result.sentiment.label == "neutral"
    assert result.versions["sentiment"].endswith(FAILED_SUFFIX)
    assert result.versions["intent"].endswith(FAILED_SUFFIX)
    assert result.language.code == "en"


def test_lexicon_mode_is_unchanged() -> None:
    result = Enricher(sentiment_mode="lexicon").enrich(PostFacts(text="@united great flight"))
    assert result.versions["sentiment"].startswith("vader-")
    assert result.sentiment.confidence is None
    assert result.intents == {}
    assert "intent" not in result.versions
