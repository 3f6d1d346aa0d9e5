"""The classes the shipped model predicts, in the order of its output columns.

The order is part of the model: the ONNX graph's logits are indexed by it, so changing it
means retraining. The intent names match the choices people pick when correcting a post.
"""

from __future__ import annotations

from groundswell.enrichment.base import SENTIMENT_LABELS

INTENT_LABELS: tuple[str, ...] = (
    "complaint",
    "support_question",
    "praise",
    "purchase_intent",
    "churn_threat",
    "spam",
)

__all__ = ["INTENT_LABELS", "SENTIMENT_LABELS"]
