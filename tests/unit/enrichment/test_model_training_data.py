"""Training pieces that run without PyTorch: splits, weak labels, calibration, samples."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from groundswell.enrichment.model.calibration import (
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.text import has_words, normalize
from groundswell.training.datasets import (
    AIRLINE_FILE,
    DataError,
    load_airline,
    load_semeval,
    split_of,
)
from groundswell.training.intent_sample import load_intent_sample
from groundswell.training.weak_intents import airline_intents, rule_intents


def test_splits_are_stable_and_near_their_shares() -> None:
    keys = [f"airline:{i}" for i in range(20_000)]
    assert [split_of(k) for k in keys[:50]] == [split_of(k) for k in keys[:50]]
    counts = Counter(split_of(k) for k in keys)
    assert abs(counts["test"] / 20_000 - 0.15) < 0.01
    assert abs(counts["val"] / 20_000 - 0.10) < 0.01


def test_semeval_reader_joins_broken_lines_and_refuses_bad_labels(tmp_path: Path) -> None:
    folder = tmp_path / "semeval2017"
    folder.mkdir()
    path = folder / "SemEval2017-task4-dev.subtask-A.english.INPUT.txt"
    path.write_text('1\tpositive\t"great ""day"""\t\n2\tneutral\tline one\nline two\t\n')
    records = load_semeval(tmp_path)
    assert [r.example.text for r in records] == ['great "day"', "line one line two"]
    assert records[0].example.intents is None
    path.write_text("1\tmeh\ttext\n")
    with pytest.raises(DataError, match="unknown label"):
        load_semeval(tmp_path)


def test_airline_reader_keeps_the_annotators_agreement(tmp_path: Path) -> None:
    path = tmp_path / AIRLINE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,text\n"
        "1,negative,1.0,Late Flight,@united late again\n"
        "2,positive,0.3486,,@united plus commercials... tacky\n"
        "3,neutral,,,@united what is the fee\n"
        "4,neutral,lots,,@united hello\n"
        "5,negative,7,,@united no\n"
    )
    agreement = [r.example.agreement for r in load_airline(tmp_path)]
    assert agreement == [1.0, 0.3486, 1.0, 1.0, 1.0]  # missing or unreadable: 1; capped at 1


def test_weak_intents_follow_the_human_labels_and_rules() -> None:
    assert airline_intents("@united lost my bag", "negative", "Lost Luggage") == ("complaint",)
    assert airline_intents("@united thanks, great crew", "positive", None) == ("praise",)
    assert airline_intents("@united where is my bag?", "negative", None) == (
        "complaint",
        "support_question",
    )
    assert "churn_threat" in airline_intents(
        "@united never flying with you again", "negative", None
    )
    assert "purchase_intent" in rule_intents("I want to book a flight to Denver")
    assert airline_intents("@united", "neutral", None) == ("spam",)


def test_temperature_fit_recovers_an_overconfident_model() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4_000, 3)) * 2
    labels = np.array([rng.choice(3, p=p) for p in softmax(true_logits)])
    overconfident = true_logits * 3
    t = fit_temperature(overconfident, labels)
    assert 2.5 < t < 3.6
    before = expected_calibration_error(softmax(overconfident), labels)
    after = expected_calibration_error(softmax(overconfident, t), labels)
    assert after < before and after < 0.03


def test_hand_labelled_sample_is_valid_and_covers_every_source() -> None:
    sample = load_intent_sample()
    assert len(sample) >= 100
    assert {e.source.split(":")[0] for e in sample} == {"airline", "semeval", "twcs"}
    assert all(set(e.intents or ()) <= set(INTENT_LABELS) for e in sample)


def test_normalize_rewrites_names_links_emoji_and_controls() -> None:
    assert normalize("@united I ❤ you\x00 https://t.co/x &amp; 😡") == (
        "@user I love you http & angry"
    )
    assert not has_words("😡 !!!")
    assert has_words("ok")
