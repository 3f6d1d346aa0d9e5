"""VADER scoring: the ``vaderSentiment`` package against ``FastVader``, side by side.

Both score the same texts (the airline data set's tweets, or the demo's sample when the
shared data is not there) in the same run; the table gives microseconds per post, the
ratio and how many scores differ (must be 0: ``FastVader`` changes bookkeeping only).
Command: ``python -m bench.vader_speed``.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

import groundswell.demo
from bench.data import DEFAULT_SOURCE
from groundswell.enrichment.vader_fast import FastVader

ROUNDS = 3


def texts() -> tuple[str, list[str]]:
    if DEFAULT_SOURCE.exists():
        with DEFAULT_SOURCE.open(encoding="utf-8", newline="") as f:
            return DEFAULT_SOURCE.name, [row["text"] for row in csv.DictReader(f)]
    sample = Path(groundswell.demo.__file__).parent / "data" / "sample.jsonl"
    lines = sample.read_text("utf-8").splitlines()
    return sample.name, [json.loads(line)["text"] for line in lines]


def best_us(score: Callable[[str], object], corpus: list[str]) -> float:
    """Best of ``ROUNDS`` passes, in microseconds per text (the least disturbed pass)."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for text in corpus:
            score(text)
        best = min(best, time.perf_counter() - started)
    return best / len(corpus) * 1e6


def main() -> int:
    name, corpus = texts()
    upstream, fast = SentimentIntensityAnalyzer(), FastVader()
    differ = sum(upstream.polarity_scores(t) != fast.polarity_scores(t) for t in corpus)
    package = best_us(upstream.polarity_scores, corpus)
    ours = best_us(fast.polarity_scores, corpus)
    print(
        f"{len(corpus):,} texts from {name}; {platform.processor() or platform.machine()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print("| scorer | µs per post | posts/s | ratio | scores that differ |")
    print("|---|---|---|---|---|")
    print(f"| vaderSentiment package | {package:.1f} | {1e6 / package:,.0f} | 1.00 | - |")
    print(f"| FastVader | {ours:.1f} | {1e6 / ours:,.0f} | {package / ours:.2f} | {differ} |")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
