"""The hand-labelled intent sample: the yardstick for intents, never used for training.

Its posts come from the airline tweets' held-out test split, the support threads sample
(twcs, never trained on) and SemEval's test split; see ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import json
from importlib import resources

from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.training.examples import LabeledExample

SAMPLE_FILE = "intent_sample.jsonl"


def load_intent_sample() -> list[LabeledExample]:
    """Every labelled post; raises ``ValueError`` naming the line of a bad record."""
    path = resources.files("groundswell.training").joinpath("data").joinpath(SAMPLE_FILE)
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        intents = tuple(record["intents"])
        unknown = set(intents) - set(INTENT_LABELS)
        if unknown or not isinstance(record.get("text"), str):
            raise ValueError(f"{SAMPLE_FILE}:{number}: bad record ({sorted(unknown)})")
        examples.append(
            LabeledExample(record["text"], record.get("sentiment"), intents, record["source"])
        )
    return examples
