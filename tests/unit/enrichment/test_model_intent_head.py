"""The shipped intent head: read from the package, used instead of the graph's own head."""

from __future__ import annotations

import io
import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.intent_rules import phrase_intents
from groundswell.enrichment.model.labels import INTENT_LABELS

DATA = Path(str(resources.files("groundswell.enrichment.model").joinpath("data")))


@pytest.fixture(scope="module")
def model() -> SentimentIntentModel:
    return SentimentIntentModel()


def _copy_without_head(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(DATA, folder)
    metadata = json.loads((folder / "metadata.json").read_text())
    del metadata["files"]["intent_head"]
    metadata.pop("intent_rules", None)
    metadata.pop("intent_version", None)
    (folder / "metadata.json").write_text(json.dumps(metadata))
    return folder


def test_shipped_model_names_its_head_and_rules(model: SentimentIntentModel) -> None:
    assert model.metadata["files"]["intent_head"] == "intent-head.npz"
    assert model.intent_rules
    assert model.intent_version != model.version  # posts record which head made intents


def test_rare_intents_are_recognised(model: SentimentIntentModel) -> None:
    posts = [
        "@united never flying with you again, worst airline",
        "@JetBlue how much would a flight from Boston to Orlando cost in March? Want to book",
        "Happy 2nd birthday Prince George! http://t.co/abc",
        "@united thank you for the great crew today!",
    ]
    got = [p.intents for p in model.predict_many(posts)]
    assert "churn_threat" in got[0] and "complaint" in got[0]
    assert "purchase_intent" in got[1]
    assert "spam" in got[2]
    assert "praise" in got[3] and "churn_threat" not in got[3]


def test_head_replaces_graph_intents_and_leaves_sentiment_alone(
    model: SentimentIntentModel, tmp_path: Path
) -> None:
    plain = SentimentIntentModel(str(_copy_without_head(tmp_path)))
    texts = ["@united lost my bag again", "@AmericanAir thanks, lovely flight", "ok"]
    with_head, without = model.logits(texts), plain.logits(texts)
    assert np.array_equal(with_head.sentiment, without.sentiment)
    assert not np.allclose(with_head.intent, without.intent)
    assert plain.intent_version == plain.version


def test_a_head_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(DATA, folder)
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.zeros((384, 4), np.float32), bias=np.zeros(4, np.float32))
    (folder / "intent-head.npz").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="intent head"):
        SentimentIntentModel(str(folder))


def test_phrase_rules_read_normalised_text() -> None:
    assert phrase_intents("@user I will never fly with @user again") == {"churn_threat"}
    assert phrase_intents("@user trying to book a flight to Denver") == {"purchase_intent"}
    assert phrase_intents("@user my flight was late") == frozenset()
    assert len(INTENT_LABELS) == 6


@pytest.mark.parametrize(
    "text",
    [
        "@shop do you sell gift cards in your stores?",
        "@airline where can I buy a lounge pass?",
        "@airline I'd like to purchase two seats to Miami",
        "@store will I be able to pre-order the new console online?",
        "@airline having trouble booking a flight on your app",
        "@airline please start flying to Boise, I'd be on every flight",
        "@telco how do I subscribe to the family plan?",
        "we need to book a hotel for the wedding",
    ],
)
def test_purchase_phrases(text: str) -> None:
    assert "purchase_intent" in phrase_intents(text)


@pytest.mark.parametrize(
    "text",
    [
        "anyone want to buy 2 tickets for Saturday's show? dm me",
        "selling my concert ticket, want to buy it?",
        "I preordered the game and never got the bonus",
        "I signed up for alerts and got none",
        "when will an agent be available to talk?",
    ],
)
def test_not_purchase(text: str) -> None:
    assert "purchase_intent" not in phrase_intents(text)
