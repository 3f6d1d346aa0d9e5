"""The NAB scorer reproduces NAB's published raw scores and counts exactly."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.nab.data import ROOT as NAB  # noqa: E402
from bench.nab.data import load_windows, read_series  # noqa: E402
from bench.nab.scorer import (  # noqa: E402
    PROFILES,
    normalised,
    probationary_rows,
    scaled_sigmoid,
    score_file,
    window_rows,
)

CHECK = NAB / "scorer_check"
pytestmark = pytest.mark.skipif(not CHECK.exists(), reason="nab_dev data not present")


def _expected() -> list[dict[str, str]]:
    with (CHECK / "expected_scores.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_scaled_sigmoid_and_probation() -> None:
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(3.5) == -1.0
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert probationary_rows(1000) == 150
    assert probationary_rows(100_000) == 750


def test_normalisation_bounds() -> None:
    std = PROFILES["standard"]
    assert normalised(-10.0, 10, std) == 0.0
    assert normalised(10.0, 10, std) == 100.0
    assert normalised(0.0, 10, PROFILES["reward_low_FN_rate"]) == pytest.approx(200 / 3)


@pytest.mark.parametrize(
    "row",
    _expected() if CHECK.exists() else [],
    ids=lambda r: f"{r['detector']}-{r['profile']}-{r['file']}",
)
def test_reproduces_published_raw_scores(row: dict[str, str]) -> None:
    windows = load_windows()[row["file"]]
    stamps, _ = read_series(NAB / "data" / row["file"])
    category, name = row["file"].split("/")
    det = row["detector"]
    result = CHECK / "results" / det / category / f"{det}_{name}"
    with result.open(newline="") as fh:
        scores = [float(r["anomaly_score"]) for r in csv.DictReader(fh)]
    assert len(scores) == len(stamps)
    thresholds = json.loads((CHECK / "thresholds.json").read_text())
    threshold = thresholds[det][row["profile"]]
    assert threshold == pytest.approx(float(row["threshold"]))

    got = score_file(
        np.asarray(scores), window_rows(stamps, windows), threshold, PROFILES[row["profile"]]
    )
    assert got.raw == pytest.approx(float(row["raw_score"]), rel=1e-10, abs=1e-10)
    assert (got.tp, got.fp, got.fn, got.tn) == (
        int(row["tp"]),
        int(row["fp"]),
        int(row["fn"]),
        int(row["tn"]),
    )
