"""Score a sentiment model on the held-out test splits; no PyTorch needed.

Shared by ``groundswell model evaluate`` and ``make eval-sentiment`` so both print the
same figures for the same model files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.calibration import softmax
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.text import normalize
from groundswell.training.calibrate import intent_matrix
from groundswell.training.datasets import DEFAULT_DATA_DIR, by_split, load_airline, load_semeval
from groundswell.training.examples import LabeledExample
from groundswell.training.intent_sample import load_intent_sample
from groundswell.training.metrics import multilabel_scores, sentiment_scores

Scores = dict[str, float | None]


def test_sets(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, list[LabeledExample]]:
    """The held-out test split of each data set, keyed ``semeval`` and ``airline``."""
    return {
        "semeval": by_split(load_semeval(data_dir), "test"),
        "airline": by_split(load_airline(data_dir), "test"),
    }


def gold_labels(examples: Sequence[LabeledExample]) -> list[int]:
    return [SENTIMENT_LABELS.index(e.sentiment or "neutral") for e in examples]


def score_probabilities(examples: Sequence[LabeledExample], probabilities: np.ndarray) -> Scores:
    return sentiment_scores(
        gold_labels(examples), list(probabilities.argmax(axis=1)), probabilities
    )


def score_labels(examples: Sequence[LabeledExample], labels: Sequence[str]) -> Scores:
    predicted = [SENTIMENT_LABELS.index(label) for label in labels]
    return sentiment_scores(gold_labels(examples), predicted)


def model_probabilities(
    model: SentimentIntentModel, examples: Sequence[LabeledExample]
) -> np.ndarray:
    raw = model.logits([normalize(e.text) or "." for e in examples])
    return softmax(raw.sentiment, model.temperature)


def evaluate_model(
    directory: str | None = None,
    data_dir: Path = DEFAULT_DATA_DIR,
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    """Sentiment scores per test split and intent precision/recall on the labelled sample."""
    model = SentimentIntentModel(directory)
    results: dict[str, object] = {"version": model.version}
    for name, examples in test_sets(data_dir).items():
        results[name] = score_probabilities(examples, model_probabilities(model, examples))
        log(f"{name}: {results[name]}")
    sample = load_intent_sample()
    # Through predict_many, as posts are scored: thresholds and the phrase rules included.
    predictions = model.predict_many([e.text for e in sample])
    predicted = np.array([[name in p.intents for name in INTENT_LABELS] for p in predictions])
    results["intents"] = multilabel_scores(intent_matrix(sample), predicted, INTENT_LABELS)
    return results
