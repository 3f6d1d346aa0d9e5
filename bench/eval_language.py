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


def _ranked_build() -> dict[str, tuple[tuple[int, float], ...]]:
    """The word table as first written: rank each whole frequency dictionary, then one
    table of every common word with its (language, Zipf) pairs."""
    import math

    from wordfreq import get_frequency_dict

    table: dict[str, list[tuple[int, float]]] = {}
    for index, lang in enumerate(language._WORD_LANGUAGES):
        freqs = get_frequency_dict(lang, wordlist="small")
        ranked = sorted(freqs.items(), key=lambda kv: -kv[1])[: language.WORDS_PER_LANGUAGE]
        for word, freq in ranked:
            table.setdefault(word, []).append((index, math.log10(freq * 1e9)))
    return {word: tuple(pairs) for word, pairs in table.items()}


def _bucket_build() -> list[dict[str, float]]:
    return [language._common_words(lang) for lang in language._WORD_LANGUAGES]


def _clear_wordfreq_caches() -> None:
    import wordfreq

    wordfreq.get_frequency_dict.cache_clear()
    wordfreq.get_frequency_list.cache_clear()


def _time_lookups(words: list[str], lookup: Callable[[str], object]) -> float:
    start = time.perf_counter()
    for word in words:
        lookup(word)
    return (time.perf_counter() - start) / len(words) * 1e9


def word_check_cost(texts: list[str]) -> None:
    """Building the word check's tables at process start, and a lookup, before and now.

    Each build starts from wordfreq's files (its caches cleared), alternating, best of 3.
    Lookups are of the cleaned texts' words, each table already warm (the memo filled
    by one pass, as a stream fills it).
    """
    builds: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(3):
        for label, build in (("before", _ranked_build), ("now", _bucket_build)):
            _clear_wordfreq_caches()
            start = time.perf_counter()
            build()
            builds[label].append(time.perf_counter() - start)
    before, now = (min(v) for v in builds.values())
    print("\nword check: building its tables at process start (25 languages, best of 3)")
    print(f"  before: rank whole lists, one table of pairs  {before * 1000:6.0f} ms")
    print(
        f"  now: first buckets, per-language tables      {now * 1000:6.0f} ms ({before / now:.1f}x)"
    )
    words = [w for t in texts for w in language.clean_for_detection(t).split()]
    combined = _ranked_build()
    tables = language._word_table().tables
    memo = language._WordTable(tables)
    for word in words:
        memo.pairs(word)

    def each_table(word: str) -> object:
        return [table.get(word) for table in tables]

    rows = [
        ("before: one table of pairs", _time_lookups(words, lambda w: combined.get(w, ()))),
        ("each language's table (not used)", _time_lookups(words, each_table)),
        ("now: memo over per-language tables", _time_lookups(words, memo.pairs)),
    ]
    print(f"word check: one lookup, {len(words):,} words of the samples")
    for label, ns in rows:
        print(f"  {label:44} {ns:6.0f} ns/word")


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
    word_check_cost([text for sample in samples.values() for _, text in sample])


if __name__ == "__main__":
    main()
