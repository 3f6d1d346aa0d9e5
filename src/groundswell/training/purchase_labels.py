"""Hand labels of purchase intent on training posts (``data/purchase_train.jsonl``).

Purchase intent is the intent the weak labels teach worst: its phrase rules find about
180 posts in 28,000, and a threshold chosen against those rules only learns to repeat
them. So 260 posts of the airline, SemEval and twcs *training* data (train and validation
splits, twcs authors outside the hand-labelled sample) that mention buying, booking,
fares, tickets, prices, upgrades, orders, deals or subscriptions were drawn at random
(seed 2026) and labelled by hand for purchase intent only, by the labelling guide
(``data/intent_guide.md``). They replace those posts' weak purchase labels and choose the
purchase threshold (``intent_head.choose_thresholds``). None is a post of the held-out
sample; ``load_purchase_labels`` checks.
"""

from __future__ import annotations

import json
from importlib import resources

from groundswell.training.datasets import split_of
from groundswell.training.intent_sample import assert_not_held_out

PURCHASE_FILE = "purchase_train.jsonl"


def load_purchase_labels() -> dict[str, bool]:
    """``dataset:id`` → whether the post shows purchase intent; refuses held-out posts."""
    path = resources.files("groundswell.training").joinpath("data").joinpath(PURCHASE_FILE)
    labels: dict[str, bool] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        key, value = record.get("source"), record.get("purchase_intent")
        if not isinstance(key, str) or not isinstance(value, bool) or split_of(key) == "test":
            raise ValueError(f"{PURCHASE_FILE}:{number}: bad record")
        labels[key] = value
    assert_not_held_out(labels)
    return labels
