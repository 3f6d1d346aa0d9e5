"""The labelled data sets behind the model, and the fixed splits every run agrees on.

Splits come from a hash of each record's id, not from a shuffle: the same tweet lands in
the same split on every machine, with any seed and whatever else is added, so the held-out
test splits can never leak into training by accident. 75% train, 10% validation (early
choices and calibration), 15% test (reported only).
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.training.examples import LabeledExample
from groundswell.training.weak_intents import airline_intents

Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")
TEST_SHARE = 0.15
VAL_SHARE = 0.10

DEFAULT_DATA_DIR = Path(
    os.environ.get("GROUNDSWELL_DATA_DIR")
    or Path(__file__).resolve().parents[3].parent / "shared" / "data"
)
"""``../shared/data`` beside a source checkout (or ``GROUNDSWELL_DATA_DIR``, for a checkout
kept elsewhere); pass ``data_dir`` anywhere else."""

SEMEVAL_FILE = "semeval2017/SemEval2017-task4-dev.subtask-A.english.INPUT.txt"
AIRLINE_FILE = "airline/Tweets.csv"
TWCS_FILE = "twcs_sample/twcs_sample.csv"


class DataError(ValueError):
    """A data file is missing or not in the expected shape."""


@dataclass(frozen=True, slots=True)
class Record:
    """One labelled post with the key its split is derived from."""

    key: str
    example: LabeledExample


def split_of(key: str) -> Split:
    """The split a record belongs to, from the first 8 bytes of SHA-256 of its key."""
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
    if bucket < TEST_SHARE:
        return "test"
    if bucket < TEST_SHARE + VAL_SHARE:
        return "val"
    return "train"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    return path


def load_semeval(data_dir: Path = DEFAULT_DATA_DIR) -> list[Record]:
    """SemEval-2017 Task 4A tweets (``id TAB label TAB text``); intents unknown.

    A few tweets hold a raw line break, so a line without tabs continues the previous text.
    """
    path = _require(data_dir / SEMEVAL_FILE)
    rows: dict[str, list[str]] = {}
    last: list[str] | None = None
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                if last is None:
                    raise DataError(f"{path}:{number}: expected id, label and text")
                last[1] += " " + parts[0]
                continue
            tweet_id, label = parts[0], parts[1].strip()
            if label not in SENTIMENT_LABELS:
                raise DataError(f"{path}:{number}: unknown label {label!r}")
            last = [label, parts[2]]
            rows.setdefault(tweet_id, last)
    records = []
    for tweet_id, (label, raw) in rows.items():
        text = raw.strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        example = LabeledExample(text.replace('""', '"'), label, None, "semeval")
        records.append(Record(f"semeval:{tweet_id}", example))
    return records


def load_airline(data_dir: Path = DEFAULT_DATA_DIR) -> list[Record]:
    """Twitter US Airline Sentiment, one record per tweet id, with weak intent labels."""
    path = _require(data_dir / AIRLINE_FILE)
    records: dict[str, Record] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        for number, row in enumerate(csv.DictReader(stream), 2):
            label = (row.get("airline_sentiment") or "").strip()
            text = row.get("text") or ""
            if label not in SENTIMENT_LABELS or not row.get("tweet_id"):
                raise DataError(f"{path}:{number}: missing tweet_id or sentiment")
            reason = (row.get("negativereason") or "").strip() or None
            intents = airline_intents(text, label, reason)
            try:
                agreement = min(1.0, max(0.0, float(row.get("airline_sentiment_confidence") or 1)))
            except ValueError:
                agreement = 1.0
            records.setdefault(
                row["tweet_id"],
                Record(
                    f"airline:{row['tweet_id']}",
                    LabeledExample(text, label, intents, "airline", agreement),
                ),
            )
    return list(records.values())


def twcs_customer_posts(data_dir: Path = DEFAULT_DATA_DIR) -> Iterator[tuple[str, str]]:
    """(tweet id, text) of inbound customer posts in the support-thread sample (unlabelled)."""
    path = _require(data_dir / TWCS_FILE)
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row.get("inbound") == "True" and row.get("text"):
                yield row["tweet_id"], row["text"]


def by_split(records: list[Record], split: Split) -> list[LabeledExample]:
    """The examples of ``records`` that fall in ``split``, in file order."""
    return [r.example for r in records if split_of(r.key) == split]
