"""The NAB development set under ``/work/shared/data/nab_dev``: series, windows, anchors."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.nab.scorer import Floats, window_rows

ROOT = Path("/work/shared/data/nab_dev")
CATEGORIES = (
    "realKnownCause",
    "realTraffic",
    "realAdExchange",
    "realAWSCloudwatch",
    "realTweets",
    "artificialWithAnomaly",
    "artificialNoAnomaly",
)


@dataclass(frozen=True, slots=True)
class NabFile:
    key: str
    """``<category>/<file>.csv``, as in the label files."""
    timestamps: list[str]
    values: Floats
    windows: list[tuple[int, int]]

    @property
    def category(self) -> str:
        return self.key.split("/", 1)[0]


def _stamp(label: str) -> str:
    return label.split(".", 1)[0]


def load_windows(root: Path = ROOT) -> dict[str, list[tuple[str, str]]]:
    raw = json.loads((root / "labels" / "combined_windows.json").read_text())
    return {key: [(_stamp(a), _stamp(b)) for a, b in spans] for key, spans in raw.items()}


def read_series(path: Path) -> tuple[list[str], Floats]:
    stamps: list[str] = []
    values: list[float] = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            stamps.append(row["timestamp"])
            values.append(float(row["value"]))
    return stamps, np.asarray(values, dtype=np.float64)


def load_files(root: Path = ROOT) -> list[NabFile]:
    """All labelled files, in category order then name order."""
    windows = load_windows(root)
    out: list[NabFile] = []
    for key in sorted(windows, key=lambda k: (CATEGORIES.index(k.split("/")[0]), k)):
        stamps, values = read_series(root / "data" / key)
        out.append(NabFile(key, stamps, values, window_rows(stamps, windows[key])))
    return out


def load_anchors(root: Path = ROOT) -> dict[tuple[str, str, str], float]:
    """(detector, group, profile) → published normalised score on these files."""
    out: dict[tuple[str, str, str], float] = {}
    with (root / "scores" / "anchors.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["normalised_score"]:
                key = (row["detector"], row["group"], row["profile"])
                out[key] = float(row["normalised_score"])
    return out
