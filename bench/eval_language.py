"""``make eval-language``: language identification on short posts, detectors side by side.

Two samples, both of short posts (≤ 60 characters):

- every distinct tweet of *Twitter US Airline Sentiment* of at most 60 characters with at
  least three letters once handles and links are removed (all
  written in English: the data set was collected for English-speaking US airlines; HTML
  entities decoded as on import), from ``../shared/data/airline``;
- ``bench/data/short_posts_multilingual.tsv``: 200 short customer-service posts, 20 in each
  of ten languages and scripts (es, fr, de, pt, it, nl, ru, ja, ar, tr), written for this
  evaluation in the style of posts to airlines, shops and support accounts (see
  ``bench/data/README.md``).

Accuracy is the share whose detected ISO 639-1 code is the sample's language; a post the
detector leaves undecided (``None``) counts as wrong. Throughput is posts per second of
the whole sample on one core.

    .venv/bin/python -m bench.eval_language [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.machine import commit, cpu_model, load
from groundswell.enrichment import language
from groundswell.ingestion.formats.entities import decode_entities
from groundswell.training.datasets import AIRLINE_FILE, DEFAULT_DATA_DIR

MULTILINGUAL = Path(__file__).resolve().parent / "data" / "short_posts_multilingual.tsv"
SHORT = 60
TARGET = 0.97

Detector = Callable[[str], str | None]


def airline_short(data_dir: Path) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    with (data_dir / AIRLINE_FILE).open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            text = decode_entities(row["text"]).strip()
            if len(text) <= SHORT and has_letters(text):
                seen.setdefault(row["tweet_id"], text)
    return [("en", t) for t in seen.values()]


def has_letters(text: str) -> bool:
    """Whether any detector is given something: posts of only handles, links, numbers or
    emoji (70 of the 2,380 short tweets) are left undecided by design and not counted."""
    cleaned = language.clean_for_detection(text)
    return sum(ch.isalpha() for ch in cleaned) >= language.MIN_LETTERS


def multilingual() -> list[tuple[str, str]]:
    with MULTILINGUAL.open(encoding="utf-8", newline="") as stream:
        return [(row["lang"], row["text"]) for row in csv.DictReader(stream, delimiter="\t")]


def fasttext_lite(text: str) -> str | None:
    return language.fasttext_language(text).code


def shipped(text: str) -> str | None:
    return language.detect_language(text).code


DETECTORS: dict[str, Detector] = {
    "fastText lite (before)": fasttext_lite,
    f"shipped: {language.LANGUAGE_VERSION}": shipped,
}


def score(detector: Detector, sample: list[tuple[str, str]]) -> tuple[float, float, Counter[str]]:
    start = time.perf_counter()
    wrong: Counter[str] = Counter()
    right = 0
    for gold, text in sample:
        got = detector(text)
        if got == gold:
            right += 1
        else:
            wrong[f"{gold}→{got}"] += 1
    elapsed = time.perf_counter() - start
    return right / len(sample), len(sample) / elapsed, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    samples = {"airline ≤60 (en)": airline_short(args.data_dir), "multilingual": multilingual()}
    for detector in DETECTORS.values():  # load models before timing
        detector("warm up the models please")
        detector("ok thx")
    print(f"machine: {cpu_model()}, load {load()}, commit {commit()}")
    print(f"target: ≥ {TARGET:.0%} on each sample")
    header = f"{'detector':34} " + " ".join(f"{name:>26}" for name in samples)
    print(header)
    worst: dict[str, Counter[str]] = {}
    for label, detector in DETECTORS.items():
        cells = []
        for name, sample in samples.items():
            accuracy, rate, wrong = score(detector, sample)
            cells.append(f"{accuracy:7.2%} n={len(sample):5} {rate:7.0f}/s")
            worst[f"{label} / {name}"] = wrong
        print(f"{label:34} " + " ".join(f"{c:>26}" for c in cells))
    print("\ncommonest errors (gold→detected):")
    for key, wrong in worst.items():
        print(f"  {key}: {', '.join(f'{k} {v}' for k, v in wrong.most_common(6)) or 'none'}")


if __name__ == "__main__":
    main()
