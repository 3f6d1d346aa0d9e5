"""NAB's scoring rule, implemented from the paper (Lavin & Ahmad, ICMLA 2015).

A file is scored from one anomaly score per row, a threshold and a profile's weights:
the first ``min(⌊0.15 n⌋, 750)`` rows are probationary and do not count; each window
is worth its earliest detection, weighted by a scaled sigmoid of its position (earlier
is better), or −A_FN if it has none; every detection outside windows costs A_FP, less
if it comes just after a window. ``normalised`` maps a group's sum to 0 (the null
detector) … 100 (every window caught at its first row, no false positive).

Positions are rows, not time, as in NAB. ``tests/unit/bench/test_nab_scorer.py`` checks
the rule against NAB's published raw scores in ``nab_dev/scorer_check``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Profile:
    """NAB's weights (``config/profiles.json``); A_FP and A_FN are given as positives."""

    name: str
    tp: float
    fp: float
    fn: float


PROFILES: dict[str, Profile] = {
    "standard": Profile("standard", 1.0, 0.11, 1.0),
    "reward_low_FP_rate": Profile("reward_low_FP_rate", 1.0, 0.22, 1.0),
    "reward_low_FN_rate": Profile("reward_low_FN_rate", 1.0, 0.11, 2.0),
}


@dataclass(frozen=True, slots=True)
class FileScore:
    raw: float
    tp: int
    fp: int
    fn: int
    tn: int


def scaled_sigmoid(y: float) -> float:
    """σ(y) = 2 / (1 + e^{5y}) − 1, and −1 beyond y = 3."""
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probationary_rows(n: int) -> int:
    return min(math.floor(0.15 * n), 750)


def window_rows(
    timestamps: Sequence[str], windows: Sequence[tuple[str, str]]
) -> list[tuple[int, int]]:
    """Each window's first and last row: the first row stamped with each bound."""
    first: dict[str, int] = {}
    for i, stamp in enumerate(timestamps):
        first.setdefault(stamp, i)
    return [(first[a], first[b]) for a, b in windows]


def score_file(
    scores: Floats, windows: Sequence[tuple[int, int]], threshold: float, profile: Profile
) -> FileScore:
    """NAB's raw score of one file; ``windows`` are (first, last) rows, in order."""
    n = len(scores)
    start = probationary_rows(n)
    detected = np.asarray(scores) >= threshold
    in_window = np.full(n, -1, dtype=np.int64)
    for k, (a, b) in enumerate(windows):
        in_window[a : b + 1] = k
    counted = np.arange(n) >= start
    tp = int(np.sum(detected & counted & (in_window >= 0)))
    fp = int(np.sum(detected & counted & (in_window < 0)))
    fn = int(np.sum(~detected & counted & (in_window >= 0)))
    tn = int(np.sum(~detected & counted & (in_window < 0)))

    norm = scaled_sigmoid(-1.0)
    best: list[float | None] = [None] * len(windows)
    total = 0.0
    last_end: int | None = None
    last_width = 0
    ends = iter(sorted(windows, key=lambda w: w[1]))
    pending = next(ends, None)
    for i in np.flatnonzero(detected):
        i = int(i)
        while pending is not None and pending[1] < i:
            last_end, last_width = pending[1], pending[1] - pending[0] + 1
            pending = next(ends, None)
        if i < start:
            continue
        k = int(in_window[i])
        if k >= 0:
            a, b = windows[k]
            width = b - a + 1
            value = profile.tp * scaled_sigmoid(-(b - i + 1) / width) / norm
            current = best[k]
            best[k] = value if current is None else max(current, value)
        elif last_end is None:
            total -= profile.fp
        else:
            total += profile.fp * scaled_sigmoid((i - last_end) / (last_width - 1))
    for value in best:
        total += -profile.fn if value is None else value
    return FileScore(total, tp, fp, fn, tn)


def null_score(windows: int, profile: Profile) -> float:
    return -profile.fn * windows


def normalised(raw_sum: float, windows: int, profile: Profile) -> float:
    """100 · (S − S_null) / (S_perfect − S_null) for a group holding ``windows`` windows."""
    null = null_score(windows, profile)
    perfect = profile.tp * windows
    return 100.0 * (raw_sum - null) / (perfect - null)
