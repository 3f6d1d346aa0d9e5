"""One labelled text for training, whatever it came from (a data set or a correction)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LabeledExample:
    text: str
    sentiment: str | None
    intents: tuple[str, ...] | None
    source: str
    agreement: float = 1.0
    """How far the data set's annotators agreed on the sentiment label (1: all of them)."""
