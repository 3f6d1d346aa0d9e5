"""The hand-labelled intent sample: the yardstick for intents, never used for training.

Its posts come from the airline tweets' and SemEval's held-out test and validation
splits and from the support threads sample (twcs, never fine-tuned on), labelled by the
guide in ``data/intent_guide.md``; see ``data/PROVENANCE.md``. Every training set checks
its ids against ``held_out_keys()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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


def held_out_keys() -> frozenset[str]:
    """The ``dataset:id`` of every post in the sample: training must skip all of them."""
    return frozenset(e.source for e in load_intent_sample())


class HeldOutLeakError(ValueError):
    """A training set contains a post of the hand-labelled sample."""


def assert_not_held_out(keys: Iterable[str]) -> None:
    """Raise ``HeldOutLeakError`` naming the first key that belongs to the sample."""
    held = held_out_keys()
    for key in keys:
        if key in held:
            raise HeldOutLeakError(f"{key} is in {SAMPLE_FILE} and must not be trained on")
