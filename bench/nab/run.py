"""Run the product's series-relative detector over the NAB files, all files in one bank.

Count series (realTweets: mentions per 5 minutes) are judged in Anscombe-root space with
a Poisson floor on their scale, rises only, as the product judges post volume; every other
file is a level judged both ways, as net sentiment is. The detector learns during NAB's
probationary rows (its warm-up) and emits 1 at the first step of each alert episode.
Rarity asks a count series for a level crossed less than once in four days (an alert a
person reads), a level series less than once a day; each series' steps per day come from
its own median sampling interval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bench.nab.candidate import RobustParams, robust_layout, robust_step
from bench.nab.data import NabFile
from bench.nab.scorer import Floats, probationary_rows
from groundswell.listening.detection.kernel import step
from groundswell.listening.detection.layout import build_layout
from groundswell.listening.detection.params import DetectorParams
from groundswell.listening.detection.types import minute_index

COUNT_CATEGORIES = {"realTweets"}


@dataclass(frozen=True, slots=True)
class Output:
    scores: Floats
    """1 at the step that opened an episode, else 0 (NAB's anomaly_score)."""
    active: Floats


def _hours(file: NabFile, slots: int = 24) -> np.ndarray:
    """Each row's time-of-day slot (``slots`` per day; 24: its hour)."""
    minutes = (
        (d.hour * 60 + d.minute) for d in (datetime.fromisoformat(s) for s in file.timestamps)
    )
    return np.fromiter(minutes, np.intp, len(file.timestamps)) * slots // 1440


def step_minutes(file: NabFile) -> float:
    """The series' usual sampling interval (median gap), to turn days into steps."""
    stamps = np.array([datetime.fromisoformat(s).timestamp() for s in file.timestamps])
    gaps = np.diff(stamps)
    return float(np.median(gaps[gaps > 0])) / 60.0


def run_group(files: list[NabFile], params: RobustParams, counts: bool) -> list[Output]:
    if not files:
        return []
    rare_days = params.count_rare_days if counts and params.count_rare_days else params.rare_days
    p = replace(
        params,
        two_sided=not counts,
        rare_days=rare_days,
        settle_when_common=params.settle_when_common and not counts,
    )
    lay = robust_layout(len(p.window_half_lives), slots=p.slots_per_day)
    n = len(files)
    length = max(len(f.values) for f in files)
    values = np.zeros((n, length))
    hours = np.zeros((n, length), dtype=np.intp)
    for i, f in enumerate(files):
        values[i, : len(f.values)] = f.values
        values[i, len(f.values) :] = f.values[-1]
        h = _hours(f, p.slots_per_day)
        hours[i, : len(h)] = h
    ys = 2.0 * np.sqrt(np.maximum(values, 0.0) + 0.375) if counts else values
    warmup = np.array([probationary_rows(len(f.values)) for f in files])
    day_steps = np.array([1440.0 / step_minutes(f) for f in files])
    state = np.zeros((n, lay.size))
    opened = np.zeros((n, length))
    active = np.zeros((n, length))
    for t in range(length):
        y = ys[:, t]
        floor = p.count_scale_floor if counts else 1e-3 * np.abs(y) + 1e-9
        out = robust_step(state, lay, p, y, hours[:, t], warmup <= t, floor, day_steps)
        opened[:, t] = out.opened
        active[:, t] = out.active
    return [
        Output(opened[i, : len(f.values)], active[i, : len(f.values)]) for i, f in enumerate(files)
    ]


def run_all(files: list[NabFile], params: RobustParams | None = None) -> dict[str, Output]:
    params = params or RobustParams()
    out: dict[str, Output] = {}
    for counts in (True, False):
        group = [f for f in files if (f.category in COUNT_CATEGORIES) == counts]
        for f, o in zip(group, run_group(group, params, counts), strict=True):
            out[f.key] = o
    return out


STEP_MINUTES = 5.0
"""NAB's count series are 5-minute rows; the rarity settings are real time."""


def product_params(warmup: int, **changes: Any) -> DetectorParams:
    """The product's defaults with its real-time rarity settings counted in 5-minute rows."""
    d = replace(DetectorParams(), **changes)
    return replace(
        d,
        warmup_minutes=warmup,
        min_wait_minutes=d.min_wait_minutes / STEP_MINUTES,
        volume_min_wait_minutes=d.volume_min_wait_minutes / STEP_MINUTES,
        rarity_half_life_minutes=d.rarity_half_life_minutes / STEP_MINUTES,
        rarity_prior_minutes=d.rarity_prior_minutes / STEP_MINUTES,
    )


def run_product(files: list[NabFile]) -> dict[str, Output]:
    """The product's count detector over count files, one row per step.

    Each row is stepped at its own timestamp's minute so the hour-of-day profile is right;
    the detector's half-lives then count rows (5 minutes here), while its rarity settings
    are converted to rows (``product_params``). Files with the same timestamps (the
    Twitter series) step together as one bank. Warm-up is NAB's probationary period.
    """
    groups: dict[tuple[str, ...], list[NabFile]] = {}
    for f in files:
        groups.setdefault(tuple(f.timestamps), []).append(f)
    out: dict[str, Output] = {}
    for stamps, members in groups.items():
        params = product_params(probationary_rows(len(stamps)))
        layout = build_layout(len(params.window_half_lives))
        state = np.zeros((len(members), layout.size))
        zero = np.zeros(len(members))
        values = np.stack([f.values for f in members])
        fired = np.zeros_like(values)
        opened = np.zeros_like(values)
        for t, stamp in enumerate(stamps):
            minute = minute_index(datetime.fromisoformat(stamp).replace(tzinfo=UTC))
            volume, _, _ = step(state, layout, params, minute, values[:, t], zero, zero)
            fired[:, t] = volume.fired
            opened[:, t] = volume.opened
        for i, f in enumerate(members):
            out[f.key] = Output(opened[i], fired[i])
    return out
