"""One labelled text for training, whatever it came from (a data set or a correction)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LabeledExample:
    text: str
    sentiment: str | None
    intents: tuple[str, ...] | None
    source: str
