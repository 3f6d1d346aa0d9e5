"""``make eval-identity``: Splink (DuckDB) on FEBRL against a plain exact-key baseline.

FEBRL records carry their truth in the id (``rec-N-org`` / ``rec-N-dup-k``): two records
are the same person when they share ``N``. dataset3 is de-duplicated (5,000 records, 6,538
true pairs); dataset4a is linked to dataset4b (5,000 each, 5,000 true links). The model is
trained without labels (u by random sampling, m by expectation maximisation), as it would
be on a customer base. The baseline links records whose social security id is equal, the
"exact key" rule the CRM used before probabilistic matching. Targets: F1 ≥ 0.95 for both.
"""

from __future__ import annotations

import csv
import itertools
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from bench.eval_clv import shared_data

THRESHOLD = 0.9
"""Match probability above which a pair counts as a match (the auto-merge level)."""


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as f:
        reader = csv.reader(f, skipinitialspace=True)
        header = [h.strip() for h in next(reader)]
        rows = []
        for values in reader:
            row: dict[str, Any] = {
                h: (v.strip() or None) for h, v in zip(header, values, strict=True)
            }
            row["unique_id"] = row.pop("rec_id")
            rows.append(row)
    return rows


def person(record_id: str) -> str:
    return record_id.split("-")[1]


def settings(link_type: str) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("surname", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
    )


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table({c: [r[c] for r in rows] for c in rows[0]})


def splink_pairs(tables: list[list[dict[str, Any]]], link_type: str) -> set[tuple[str, str]]:
    db = DuckDBAPI()
    frames = [db.register(_table(t)) for t in tables]
    linker = Linker(frames if len(frames) > 1 else frames[0], settings(link_type), log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("date_of_birth", "surname")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    return {
        tuple(sorted((r["unique_id_l"], r["unique_id_r"])))  # type: ignore[misc]
        for r in predictions.as_record_list()
    }


def key_pairs(tables: list[list[dict[str, Any]]]) -> set[tuple[str, str]]:
    """Exact-key baseline: records with the same social security id are one person."""
    by_key: dict[tuple[int, str], list[str]] = defaultdict(list)
    for index, table in enumerate(tables):
        for r in table:
            if r["soc_sec_id"]:
                by_key[(index, r["soc_sec_id"])].append(r["unique_id"])
    pairs: set[tuple[str, str]] = set()
    if len(tables) == 1:
        for ids in by_key.values():
            pairs.update(tuple(sorted(p)) for p in itertools.combinations(ids, 2))  # type: ignore[misc]
        return pairs
    for (index, key), left in by_key.items():
        if index == 0:
            for a, b in itertools.product(left, by_key.get((1, key), [])):
                pairs.add(tuple(sorted((a, b))))  # type: ignore[arg-type]
    return pairs


def truth(tables: list[list[dict[str, Any]]]) -> set[tuple[str, str]]:
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for index, table in enumerate(tables):
        for r in table:
            groups[person(r["unique_id"])].append((index, r["unique_id"]))
    pairs: set[tuple[str, str]] = set()
    for members in groups.values():
        for (i, a), (j, b) in itertools.combinations(members, 2):
            if len(tables) == 1 or i != j:
                pairs.add(tuple(sorted((a, b))))  # type: ignore[arg-type]
    return pairs


def scores(found: set[tuple[str, str]], true: set[tuple[str, str]]) -> tuple[float, float, float]:
    hit = len(found & true)
    precision = hit / len(found) if found else 0.0
    recall = hit / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> int:
    febrl = shared_data() / "febrl"
    tasks = [
        ("dedup dataset3", [load(febrl / "dataset3.csv")], "dedupe_only"),
        (
            "link dataset4a × 4b",
            [load(febrl / "dataset4a.csv"), load(febrl / "dataset4b.csv")],
            "link_only",
        ),
    ]
    ok = True
    print(f"{'task':<22}{'method':<22}{'pairs':>7}{'precision':>11}{'recall':>8}{'F1':>8}{'s':>7}")
    for name, tables, link_type in tasks:
        true = truth(tables)
        started = time.perf_counter()
        base = key_pairs(tables)
        base_s = time.perf_counter() - started
        started = time.perf_counter()
        found = splink_pairs(tables, link_type)
        found_s = time.perf_counter() - started
        for method, pairs, seconds in (
            ("exact key (soc_sec_id)", base, base_s),
            (f"Splink p≥{THRESHOLD}", found, found_s),
        ):
            p, r, f = scores(pairs, true)
            print(
                f"{name:<22}{method:<22}{len(pairs):>7}{p:>11.4f}{r:>8.4f}{f:>8.4f}{seconds:>7.1f}"
            )
        ok &= scores(found, true)[2] >= 0.95
        print(f"{'':<22}{'true pairs':<22}{len(true):>7}")
    print("F1 ≥ 0.95 on both" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
