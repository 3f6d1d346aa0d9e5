"""Bounded work per post and honest results for text the models cannot read."""

from __future__ import annotations

import pytest

from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.enrichment.readable import MAX_EMOJI, UNREADABLE, cap_emoji, is_readable
from groundswell.enrichment.sentiment import CHUNK_CHARS, VaderSentiment


def test_cap_emoji_keeps_the_first_ones_and_the_words() -> None:
    assert cap_emoji("ok 😀😀😀 fine", limit=2) == "ok 😀😀 fine"
    assert cap_emoji("😀" * 8000).count("😀") == MAX_EMOJI


@pytest.mark.parametrize(
    ("text", "readable"),
    [
        ("we need an ETA please", True),
        ("#fail", True),
        ("🫠🫠🫠", False),
        ("$$$ !!! ???", False),
        ("@united https://t.co/x", False),
        ("我的航班又延误了三个小时", False),
        ("Мой рейс снова задержали", False),
        ("Mi vuelo lleva retraso", True),
    ],
)
def test_is_readable(text: str, readable: bool) -> None:
    assert is_readable(text) is readable


def test_vader_sees_bounded_pieces_of_a_hostile_post() -> None:
    analyzer = VaderSentiment()
    seen: list[str] = []
    real = analyzer._polarity

    def spy(text: str) -> dict[str, float]:
        seen.append(text)
        return dict(real(text))

    analyzer._polarity = spy
    result = analyzer.analyze("😀" * 8000)
    assert result.label == "positive"
    assert len(seen) == 1 and seen[0].count("😀") == MAX_EMOJI

    seen.clear()
    long_text = "I hate this, awful service. " * 700
    assert analyzer.analyze(long_text).label == "negative"
    assert len(seen) >= len(long_text) // CHUNK_CHARS
    assert all(len(piece) <= CHUNK_CHARS for piece in seen)


def test_short_posts_score_as_plain_vader() -> None:
    text = "@united thank you so much, the crew was amazing! 😀"
    analyzer = VaderSentiment()
    expected = analyzer._polarity(" thank you so much, the crew was amazing! 😀")["compound"]
    assert analyzer.analyze(text).score == expected


@pytest.mark.parametrize("mode", ["lexicon", "model"])
@pytest.mark.parametrize("text", ["🫠🫠🫠", "$$$ !!! ???", "我的航班又延误了三个小时"])
def test_unreadable_posts_are_flagged_not_confidently_neutral(mode: str, text: str) -> None:
    result = Enricher(sentiment_mode=mode).enrich(PostFacts(text=text))
    assert UNREADABLE in result.flags
    assert result.sentiment.label == "neutral"
    assert result.sentiment.confidence is None or result.sentiment.confidence < 0.34
    assert not result.intents


def test_model_reads_known_emoji_and_caps_a_flood() -> None:
    enricher = Enricher(sentiment_mode="model")
    angry = enricher.enrich(PostFacts(text="😡😡😡"))
    assert angry.sentiment.label == "negative" and UNREADABLE not in angry.flags
    flood = enricher.enrich(PostFacts(text="😀" * 8000))
    assert flood.sentiment.label == "positive"
    assert "truncated" in flood.flags


def test_repeated_texts_run_through_the_model_once() -> None:
    enricher = Enricher(sentiment_mode="model")
    model = enricher._model
    assert model is not None
    seen: list[int] = []
    real = model.predict_many

    def counting(texts):  # type: ignore[no-untyped-def]
        seen.append(len(texts))
        return real(texts)

    model.predict_many = counting  # type: ignore[method-assign]
    try:
        texts = ["@united lost my bag again", "thanks for the upgrade!"] * 5
        first = enricher.enrich_many([PostFacts(text=t) for t in texts])
        again = enricher.enrich_many([PostFacts(text=t) for t in texts[:2]])
    finally:
        model.predict_many = real  # type: ignore[method-assign]
    assert seen == [2]
    assert [e.sentiment for e in first[:2]] == [e.sentiment for e in again]
    assert first[0].sentiment.label == "negative" and first[1].sentiment.label == "positive"
