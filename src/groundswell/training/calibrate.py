"""Fit the temperature and intent thresholds on validation data, then score the tests.

Everything here runs the exported int8 ONNX model through the run-time code, not the
PyTorch network, so the figures describe exactly what ships.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.calibration import fit_temperature, sigmoid, softmax
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.text import normalize
from groundswell.training.examples import LabeledExample
from groundswell.training.intent_sample import load_intent_sample
from groundswell.training.metrics import multilabel_scores, sentiment_scores

THRESHOLD_GRID = np.round(np.arange(0.1, 0.91, 0.05), 2)
MIN_POSITIVES = 10
"""Below this many validation positives a class keeps the 0.5 threshold."""


def intent_matrix(examples: Sequence[LabeledExample]) -> np.ndarray:
    gold = np.zeros((len(examples), len(INTENT_LABELS)), dtype=np.int8)
    for row, e in enumerate(examples):
        for name in e.intents or ():
            gold[row, INTENT_LABELS.index(name)] = 1
    return gold


def best_thresholds(probs: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Per class, the threshold with the best F1 on validation data."""
    chosen: dict[str, float] = {}
    for k, name in enumerate(INTENT_LABELS):
        if gold[:, k].sum() < MIN_POSITIVES:
            chosen[name] = 0.5
            continue
        best, best_f1 = 0.5, -1.0
        for t in THRESHOLD_GRID:
            predicted = probs[:, k] >= t
            tp = float((predicted & (gold[:, k] == 1)).sum())
            f1 = 2 * tp / max(1.0, float(predicted.sum() + gold[:, k].sum()))
            if f1 > best_f1:
                best, best_f1 = float(t), f1
        chosen[name] = best
    return chosen


def _logits(model: SentimentIntentModel, examples: Sequence[LabeledExample]) -> Any:
    return model.logits([normalize(e.text) for e in examples])


def calibrate_and_score(
    output: Path,
    metadata: dict[str, Any],
    held_out: dict[str, list[LabeledExample]],
    log: Callable[[str], None],
) -> dict[str, Any]:
    model = SentimentIntentModel(str(output))
    val = held_out["semeval_val"] + held_out["airline_val"]
    raw = _logits(model, val)
    labels = np.array([SENTIMENT_LABELS.index(e.sentiment or "neutral") for e in val])
    temperature = fit_temperature(raw.sentiment, labels)
    with_intents = [i for i, e in enumerate(val) if e.intents is not None]
    thresholds = best_thresholds(
        sigmoid(raw.intent[with_intents]), intent_matrix([val[i] for i in with_intents])
    )
    log(f"temperature {temperature}, thresholds {thresholds}")
    metrics: dict[str, Any] = {}
    for name in ("semeval_test", "airline_test"):
        examples = held_out[name]
        out = _logits(model, examples)
        probs = softmax(out.sentiment, temperature)
        gold = [SENTIMENT_LABELS.index(e.sentiment or "neutral") for e in examples]
        metrics[name] = sentiment_scores(gold, list(probs.argmax(axis=1)), probs)
        log(f"{name}: {metrics[name]}")
    limits = np.array([thresholds[n] for n in INTENT_LABELS])
    airline_test = held_out["airline_test"]
    predicted = sigmoid(_logits(model, airline_test).intent) >= limits
    metrics["intents_airline_test_weak"] = multilabel_scores(
        intent_matrix(airline_test), predicted, INTENT_LABELS
    )
    sample = load_intent_sample()
    if sample:
        predicted = sigmoid(_logits(model, sample).intent) >= limits
        metrics["intents_hand_labelled"] = multilabel_scores(
            intent_matrix(sample), predicted, INTENT_LABELS
        )
    return {
        **metadata,
        "temperature": temperature,
        "intent_thresholds": thresholds,
        "metrics": metrics,
    }
