"""What spike detection costs: one series' update, and 10,000 series at a minute boundary.

``python -m bench.spike_cost`` (part of ``make bench``). Series rates are spread from
0.01 to 100 posts a minute; the detectors are past warm-up, so the detection path runs
too. Figures are medians of repeated minutes; they are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from bench.machine import commit, cpu_model
from groundswell.listening.spikes import (
    DetectorBank,
    DetectorParams,
    MinutePoint,
    SpikeDetector,
    evaluate_many,
)

SERIES = 10_000
START = datetime(2025, 1, 6, tzinfo=UTC)
PARAMS = DetectorParams(warmup_minutes=30)


def _counts(rng: np.random.Generator, rates: np.ndarray) -> tuple[np.ndarray, ...]:
    total = rng.poisson(rates)
    negative = rng.binomial(total, 0.3)
    positive = rng.binomial(total - negative, 0.5)
    return total, negative, positive


def single_update(minutes: int = 3000) -> float:
    """Seconds per ``SpikeDetector.update`` of one series."""
    rng = np.random.default_rng(1)
    detector = SpikeDetector(PARAMS)
    total, negative, positive = _counts(rng, np.full(minutes, 5.0))
    points = [
        MinutePoint(START + timedelta(minutes=m), int(t), int(n), int(p))
        for m, (t, n, p) in enumerate(zip(total, negative, positive, strict=True))
    ]
    began = time.perf_counter()
    for point in points:
        detector.update(point)
    return (time.perf_counter() - began) / minutes


def bank_minute(rates: np.ndarray, minutes: int = 90) -> tuple[float, int]:
    """Median seconds of one ``DetectorBank.step`` over all series, and detections seen."""
    rng = np.random.default_rng(2)
    bank = DetectorBank(len(rates), PARAMS)
    times: list[float] = []
    detections = 0
    for m in range(minutes):
        total, negative, positive = _counts(rng, rates)
        began = time.perf_counter()
        found = bank.step(
            START + timedelta(minutes=m),
            total.astype(np.float64),
            negative.astype(np.float64),
            positive.astype(np.float64),
        )
        times.append(time.perf_counter() - began)
        detections += sum(len(f) for f in found)
    return statistics.median(times[PARAMS.warmup_minutes :]), detections


def many_minute(rates: np.ndarray, minutes: int = 45) -> float:
    """Median seconds of ``evaluate_many`` over one ``SpikeDetector`` per series."""
    rng = np.random.default_rng(3)
    detectors = [SpikeDetector(PARAMS) for _ in rates]
    times: list[float] = []
    for m in range(minutes):
        total, negative, positive = _counts(rng, rates)
        minute = START + timedelta(minutes=m)
        points = [
            MinutePoint(minute, int(t), int(n), int(p))
            for t, n, p in zip(total, negative, positive, strict=True)
        ]
        began = time.perf_counter()
        evaluate_many(detectors, points)
        times.append(time.perf_counter() - began)
    return statistics.median(times[PARAMS.warmup_minutes :])


def state_cost(count: int = 1000) -> tuple[int, float]:
    """Bytes of one state as JSON, and seconds to save and restore it."""
    detector = SpikeDetector(PARAMS)
    for m in range(1500):
        detector.update(MinutePoint(START + timedelta(minutes=m), 3 + m % 5, 1, 1))
    began = time.perf_counter()
    for _ in range(count):
        text = json.dumps(detector.to_state())
        SpikeDetector.from_state(json.loads(text), PARAMS)
    return len(text), (time.perf_counter() - began) / count


def main() -> None:
    rates = np.exp(np.random.default_rng(0).uniform(np.log(0.01), np.log(100.0), SERIES))
    single = single_update()
    bank, detections = bank_minute(rates)
    many = many_minute(rates)
    size, persist = state_cost()
    print(f"spike detection cost ({SpikeDetector.VERSION}), commit {commit()}")
    print(f"cpu: {cpu_model()}, {len(os.sched_getaffinity(0))} cores, numpy {np.__version__}\n")
    rows = [
        ("one series, SpikeDetector.update", f"{single * 1e6:.0f} µs / minute"),
        (f"{SERIES:,} series, DetectorBank.step", f"{bank * 1e3:.1f} ms / minute"),
        ("  per series per minute", f"{bank / SERIES * 1e6:.2f} µs"),
        (f"{SERIES:,} series, evaluate_many", f"{many * 1e3:.0f} ms / minute"),
        ("  per series per minute", f"{many / SERIES * 1e6:.1f} µs"),
        ("state as JSON", f"{size:,} bytes, save+restore {persist * 1e6:.0f} µs"),
        ("detections in the bank run", f"{detections} over {SERIES:,} series"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
