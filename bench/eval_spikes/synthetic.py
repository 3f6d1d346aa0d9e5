"""Synthetic minute series with daily and weekly rhythm and injected, labelled spikes.

Rates follow a two-peak working day and quieter weekends, wobble from day to day and hour
to hour (so the series are overdispersed like real ones), and split into negative,
positive and neutral posts. Events are injected with a known onset, duration and size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
NEG_SHARE, POS_SHARE = 0.3, 0.35
KINDS = ("volume", "negative", "sentiment")

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Event:
    """An injected anomaly; ``size`` multiplies the affected rate (volume, negatives)."""

    kind: str
    onset: int
    duration: int
    size: float


@dataclass(slots=True)
class Series:
    name: str
    group: str
    total: Ints
    negative: Ints
    positive: Ints
    events: list[Event] = field(default_factory=list)


def daily_shape(minutes: Ints) -> Floats:
    """A working day: quiet night, a morning peak, an evening peak; mean 1."""
    hour = (minutes % 1440) / 60.0
    shape = (
        0.15
        + 1.0 * np.exp(-0.5 * ((hour - 10.0) / 2.5) ** 2)
        + 0.8 * np.exp(-0.5 * ((hour - 20.0) / 2.0) ** 2)
    )
    return np.asarray(shape / shape.mean(), dtype=np.float64)


def weekly_shape(minutes: Ints) -> Floats:
    day = (minutes // 1440) % 7
    return np.where(day == 5, 0.7, np.where(day == 6, 0.6, 1.08))


def baseline_rate(base: float, days: int, rng: np.random.Generator) -> Floats:
    minutes = np.arange(days * 1440)
    day_noise = np.repeat(rng.lognormal(0.0, 0.1, days), 1440)
    hour_noise = np.repeat(rng.lognormal(0.0, 0.05, days * 24), 60)
    rate = base * daily_shape(minutes) * weekly_shape(minutes) * day_noise * hour_noise
    return np.asarray(rate, dtype=np.float64)


def plan_events(rng: np.random.Generator, days: int, count: int) -> list[Event]:
    """``count`` events after the first two days, at least eight hours apart."""
    events: list[Event] = []
    slots = rng.choice(np.arange(2 * 3, days * 3 - 1), size=count, replace=False)
    for slot in sorted(int(s) for s in slots):
        kind = str(rng.choice(KINDS, p=[0.5, 0.25, 0.25]))
        onset = slot * 480 + int(rng.integers(0, 240))
        duration = int(rng.integers(5, 121))
        size = float(rng.choice([2.0, 3.0, 5.0, 10.0]))
        events.append(Event(kind, onset, duration, size))
    return events


def make_series(
    name: str, group: str, base: float, days: int, events: list[Event], seed: int
) -> Series:
    rng = np.random.default_rng(seed)
    rate = baseline_rate(base, days, rng)
    neg_rate = rate * NEG_SHARE
    pos_rate = rate * POS_SHARE
    neu_rate = rate * (1.0 - NEG_SHARE - POS_SHARE)
    for ev in events:
        span = slice(ev.onset, ev.onset + ev.duration)
        if ev.kind == "volume":
            extra = rate[span] * (ev.size - 1.0)
            neg_rate[span] += extra * 0.5
            pos_rate[span] += extra * 0.2
            neu_rate[span] += extra * 0.3
        elif ev.kind == "negative":
            neg_rate[span] *= ev.size
        else:
            total = rate[span]
            neg_rate[span], pos_rate[span] = total * 0.65, total * 0.1
            neu_rate[span] = total * 0.25
    negative = rng.poisson(neg_rate)
    positive = rng.poisson(pos_rate)
    total = negative + positive + rng.poisson(neu_rate)
    return Series(name, group, total, negative, positive, events)


def synthetic_suite(days: int = 21, seed: int = 7) -> list[Series]:
    """Quiet (~0.5/min) and busy (~50/min) series, most with six events, some with none."""
    rng = np.random.default_rng(seed)
    out: list[Series] = []
    for group, base in (("quiet", 0.5), ("busy", 50.0)):
        for i in range(12):
            events = plan_events(rng, days, 6) if i < 8 else []
            name = f"{group}-{i:02d}"
            out.append(make_series(name, group, base, days, events, seed * 1000 + len(out)))
    return out
