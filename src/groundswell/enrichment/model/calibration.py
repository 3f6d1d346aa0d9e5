"""Turning logits into honest probabilities: temperature scaling and its yardstick.

A fine-tuned network is over-confident; dividing its logits by one temperature fitted on
held-out data (Guo et al., 2017) fixes most of that without changing any prediction.
Expected calibration error (ECE) measures what is left: the gap between stated
confidence and observed accuracy, averaged over confidence bins.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
ECE_BINS = 15


def softmax(logits: NDArray[np.floating], temperature: float = 1.0) -> FloatArray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    result: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return result


def sigmoid(logits: NDArray[np.floating], temperature: float = 1.0) -> FloatArray:
    z = np.clip(np.asarray(logits, dtype=np.float64) / temperature, -60.0, 60.0)
    result: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return result


def nll(logits: NDArray[np.floating], labels: NDArray[np.integer], temperature: float) -> float:
    """Mean negative log-likelihood of ``labels`` under the tempered softmax."""
    p = softmax(logits, temperature)[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(p, 1e-12, 1.0)).mean())


def fit_temperature(logits: NDArray[np.floating], labels: NDArray[np.integer]) -> float:
    """The temperature in [0.25, 8] minimising NLL, by a fine log-spaced grid search.

    A grid rather than an optimiser: one parameter, a few thousand rows, and the same
    answer on every machine.
    """
    if len(labels) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 400))
    losses = [nll(logits, labels, float(t)) for t in grid]
    return round(float(grid[int(np.argmin(losses))]), 4)


def expected_calibration_error(
    probabilities: NDArray[np.floating], labels: NDArray[np.integer], bins: int = ECE_BINS
) -> float:
    """Top-label ECE with equal-width confidence bins (the usual definition)."""
    probs = np.asarray(probabilities, dtype=np.float64)
    if len(probs) == 0:
        return 0.0
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(labels)).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            gap = abs(correct[members].mean() - confidence[members].mean())
            total += members.mean() * gap
    return float(total)
