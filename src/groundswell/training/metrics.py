"""Classification scores used in training reports and ``make eval-sentiment``.

Macro-recall is SemEval-2017 Task 4A's official measure: the mean of per-class recalls,
so a model cannot score well by favouring the majority class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from groundswell.enrichment.model.calibration import expected_calibration_error


def _per_class(
    gold: Sequence[int], predicted: Sequence[int], classes: int
) -> list[tuple[float, float, float]]:
    g, p = np.asarray(gold), np.asarray(predicted)
    scores = []
    for c in range(classes):
        tp = float(((g == c) & (p == c)).sum())
        precision = tp / max(1.0, float((p == c).sum()))
        recall = tp / max(1.0, float((g == c).sum()))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append((precision, recall, f1))
    return scores


def sentiment_scores(
    gold: Sequence[int], predicted: Sequence[int], probabilities: np.ndarray | None = None
) -> dict[str, float | None]:
    """Macro-recall, accuracy, macro-F1 and (given probabilities) ECE, all in [0, 1]."""
    per = _per_class(gold, predicted, 3)
    g, p = np.asarray(gold), np.asarray(predicted)
    return {
        "macro_recall": float(np.mean([r for _, r, _ in per])),
        "accuracy": float((g == p).mean()) if len(g) else 0.0,
        "macro_f1": float(np.mean([f for _, _, f in per])),
        "ece": (
            expected_calibration_error(probabilities, g) if probabilities is not None else None
        ),
        "n": float(len(g)),
    }


def multilabel_scores(
    gold: np.ndarray, predicted: np.ndarray, names: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Per-class precision, recall and support for 0/1 matrices (rows × classes)."""
    out: dict[str, dict[str, float]] = {}
    for k, name in enumerate(names):
        g, p = gold[:, k].astype(bool), predicted[:, k].astype(bool)
        tp = float((g & p).sum())
        out[name] = {
            "precision": tp / max(1.0, float(p.sum())),
            "recall": tp / max(1.0, float(g.sum())),
            "support": float(g.sum()),
            "predicted": float(p.sum()),
        }
    return out
