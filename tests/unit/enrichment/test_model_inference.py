"""The shipped sentiment-and-intent model: labels, probabilities, batches and bad input."""

from __future__ import annotations

import math

import pytest

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.artifacts import ModelFilesMissingError, read_metadata
from groundswell.enrichment.model.classifier import (
    EMPTY_TEXT,
    NO_WORDS,
    TRUNCATED,
    SentimentIntentModel,
)
from groundswell.enrichment.model.labels import INTENT_LABELS


@pytest.fixture(scope="module")
def model() -> SentimentIntentModel:
    return SentimentIntentModel()


CLEAR = [
    ("@united thank you so much, the crew was wonderful and the flight was perfect!", "positive"),
    ("@AmericanAir worst airline ever. Lost my bag, 4 hour delay and nobody helps.", "negative"),
    ("@JetBlue what time does flight 1272 leave tomorrow?", "neutral"),
]


@pytest.mark.parametrize(("text", "label"), CLEAR)
def test_clear_posts_get_the_obvious_label(
    model: SentimentIntentModel, text: str, label: str
) -> None:
    assert model.predict_many([text])[0].sentiment.label == label


def test_probabilities_are_a_distribution_and_score_is_signed(
    model: SentimentIntentModel,
) -> None:
    for prediction in model.predict_many([t for t, _ in CLEAR]):
        probs = prediction.probabilities
        assert set(probs) == set(SENTIMENT_LABELS)
        assert math.isclose(sum(probs.values()), 1.0, abs_tol=1e-6)
        sentiment = prediction.sentiment
        assert sentiment.confidence == pytest.approx(max(probs.values()), abs=1e-4)
        assert sentiment.label == max(probs, key=lambda k: probs[k])
        assert sentiment.score == pytest.approx(probs["positive"] - probs["negative"], abs=1e-4)
        assert -1.0 <= sentiment.score <= 1.0


def test_intents_are_multi_label_and_above_their_thresholds(
    model: SentimentIntentModel,
) -> None:
    complaint = "@united you lost my luggage again and cancelled my flight. How do I get a refund?"
    prediction = model.predict_many([complaint])[0]
    assert "complaint" in prediction.intents
    assert set(prediction.intents) <= set(INTENT_LABELS)
    assert prediction.intent == max(prediction.intents, key=lambda k: prediction.intents[k])
    for name, probability in prediction.intents.items():
        assert probability >= model.thresholds[INTENT_LABELS.index(name)]
    praise = model.predict_many(["@SouthwestAir you guys rock, thanks for a great trip!"])[0]
    assert praise.intent == "praise"


def test_a_batch_gives_the_same_results_as_single_posts(model: SentimentIntentModel) -> None:
    """Same labels and flags; probabilities close, not equal.

    Dynamic int8 quantisation scales activations per batch, so a post's probabilities
    move a little with its neighbours (mean 0.015 on airline test posts).
    """
    texts = [t for t, _ in CLEAR] + ["ok", "@delta " + "so so long " * 30, ""]
    batch = model.predict_many(texts)
    for text, together in zip(texts, batch, strict=True):
        alone = model.predict_many([text])[0]
        assert alone.sentiment.label == together.sentiment.label
        assert alone.flags == together.flags
        for label, p in alone.probabilities.items():
            assert together.probabilities[label] == pytest.approx(p, abs=0.2)


BAD_INPUTS = [
    "",
    "   \n\t ",
    "😡😡😡",
    "👍",
    "\x00\x01\x1b[31m\x7f",
    "\ud800 lone surrogate",
    "‮ right-to-left override",
    "Le vol est encore en retard, c'est inadmissible",
    "飞机晚点了三个小时",
    "A" * 100_000,
    "delay " * 20_000,
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_has_a_defined_result(model: SentimentIntentModel, text: str) -> None:
    (prediction,) = model.predict_many([text])
    assert prediction.sentiment.label in SENTIMENT_LABELS
    assert -1.0 <= prediction.sentiment.score <= 1.0
    assert set(prediction.intents) <= set(INTENT_LABELS)


def test_empty_text_is_neutral_without_confidence(model: SentimentIntentModel) -> None:
    for text in ("", "  \n", "\x00\x07"):
        (prediction,) = model.predict_many([text])
        assert prediction.flags == (EMPTY_TEXT,)
        assert prediction.sentiment.label == "neutral"
        assert prediction.sentiment.confidence is None
        assert prediction.intents == {}


def test_flags_for_emoji_only_and_long_text(model: SentimentIntentModel) -> None:
    angry, thumbs, long_text, plain = model.predict_many(
        ["😡😡 @united", "👎👎 @united", "terrible " * 500, "fine"]
    )
    assert NO_WORDS in angry.flags and NO_WORDS in thumbs.flags
    # Emoji are read as their words: "angry angry" leans negative (P(neg) above P(pos);
    # its label sits near the neutral border, -0.37 to -0.47 across models and batches),
    # "thumbs down" is plainly negative.
    assert angry.sentiment.score < -0.2
    assert thumbs.sentiment.label == "negative"
    assert TRUNCATED in long_text.flags
    assert plain.flags == ()


def test_metadata_names_version_licence_and_metrics() -> None:
    metadata = read_metadata()
    assert metadata["version"].startswith("minilm-sent-")
    assert metadata["license"] == "Apache-2.0"
    assert metadata["intent_labels"] == list(INTENT_LABELS)
    assert metadata["sentiment_labels"] == list(SENTIMENT_LABELS)
    assert metadata["temperature"] > 0
    assert {"semeval_test", "airline_test"} <= set(metadata["metrics"])


def test_a_missing_model_folder_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(ModelFilesMissingError, match=r"metadata\.json"):
        SentimentIntentModel(str(tmp_path))
