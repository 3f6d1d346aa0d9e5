"""``FastVader`` gives the ``vaderSentiment`` package's scores, bit for bit.

It only changes bookkeeping (one lower-cased copy of the words, a set for negations, no
emoji walk without emoji), so any difference at all is a fault: compared on every post
of the demo's sample and on generated texts dense in the words VADER's rules look at.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

import groundswell.demo
from groundswell.enrichment.vader_fast import FastVader

SAMPLE = Path(groundswell.demo.__file__).parent / "data" / "sample.jsonl"


@cache
def analyzers() -> tuple[SentimentIntensityAnalyzer, FastVader]:
    return SentimentIntensityAnalyzer(), FastVader()


def test_every_demo_post_scores_exactly_as_the_package_scores_it() -> None:
    upstream, fast = analyzers()
    texts = [json.loads(line)["text"] for line in SAMPLE.read_text("utf-8").splitlines()]
    assert len(texts) > 1000
    different = [t for t in texts if fast.polarity_scores(t) != upstream.polarity_scores(t)]
    assert different == []


_RULE_WORDS = sorted(
    {
        *NEGATE[:20],
        *list(BOOSTER_DICT)[:30],
        *(w for phrase in SPECIAL_CASES for w in phrase.split()),
        *("no", "least", "at", "very", "but", "kind", "of", "or", "nor", "never", "so"),
        *("this", "without", "doubt", "sort", "isn't", "don't", "nope", "n't"),
        *("good", "bad", "great", "terrible", "love", "hate", "happy", "sad", "ok", "fine"),
        *("delayed", "cancelled", "thanks", "worst", "best", ":)", ":(", ":D", "<3", "lol"),
        *("😀", "😡", "👍", "💔", "☺️", "🙂", "a", "the", "flight", "bag", "@united", "!!!"),
    }
)

_word = st.sampled_from(_RULE_WORDS).flatmap(
    lambda w: st.sampled_from([w, w.upper(), w.capitalize(), w + "!", w + "?", w + ",", w + "."])
)
_text = st.lists(_word, min_size=0, max_size=30).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(_text)
def test_generated_texts_score_exactly_as_the_package_scores_them(text: str) -> None:
    upstream, fast = analyzers()
    assert fast.polarity_scores(text) == upstream.polarity_scores(text)


def test_emoji_are_described_as_the_package_describes_them() -> None:
    upstream, fast = analyzers()
    for text in ("love it😀", "😡😡 no", "worst day💔💔", "☺️ fine", "ok 👍 ", "😀"):
        assert fast.polarity_scores(text) == upstream.polarity_scores(text)
    assert (
        fast.polarity_scores("love it😀")["compound"] > fast.polarity_scores("love it")["compound"]
    )
