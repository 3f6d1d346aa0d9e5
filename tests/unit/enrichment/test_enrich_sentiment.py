"""VADER sentiment: labels by the ±0.05 thresholds, one shared analyzer, mode selection."""

from __future__ import annotations

import pytest

from groundswell.enrichment import sentiment
from groundswell.enrichment.base import SENTIMENT_LABELS, SentimentAnalyzer
from groundswell.enrichment.sentiment import VaderSentiment, get_sentiment_analyzer, label_for


def test_lexicon_mode_is_vader_and_satisfies_the_protocol() -> None:
    analyzer = get_sentiment_analyzer("lexicon")
    assert isinstance(analyzer, VaderSentiment)
    checked: SentimentAnalyzer = analyzer
    assert checked.name == "vader"
    assert checked.version.startswith("vader-3.3.2+gs")


def test_unknown_mode_is_rejected_with_the_known_modes() -> None:
    with pytest.raises(ValueError, match="lexicon"):
        get_sentiment_analyzer("model-that-does-not-exist")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("@united thank you so much, the crew was amazing!", "positive"),
        ("@united worst airline ever. Lost my bag AGAIN. Never flying with you.", "negative"),
        ("@united what time does flight 123 board?", "neutral"),
        ("@united what a mess, so angry 😡", "negative"),
        ("@united @delta https://t.co/great", "neutral"),
        ("", "neutral"),
    ],
)
def test_labels_real_posts(text: str, label: str) -> None:
    result = VaderSentiment().analyze(text)
    assert result.label == label
    assert -1.0 <= result.score <= 1.0
    assert result.confidence is None


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0.05, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (1.0, "positive"),
        (-1.0, "negative"),
    ],
)
def test_thresholds(score: float, label: str) -> None:
    assert label_for(score) == label
    assert label in SENTIMENT_LABELS


def test_analyzer_is_built_once_per_process() -> None:
    VaderSentiment()
    first = sentiment._vader()
    VaderSentiment()
    assert sentiment._vader() is first
