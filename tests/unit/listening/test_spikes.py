"""The spike detector's behaviour: small counts, rhythm, no future data, state, gaps."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from groundswell.listening.spikes import (
    Detection,
    DetectorParams,
    MinutePoint,
    SpikeDetector,
    detect_history,
    evaluate_many,
)

START = datetime(2025, 1, 6, tzinfo=UTC)


def at(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


def steady(rate: float, minutes: int, seed: int = 1, daily: bool = False) -> list[MinutePoint]:
    """Poisson minutes at ``rate`` (times a working-day shape when ``daily``)."""
    rng = np.random.default_rng(seed)
    points = []
    for m in range(minutes):
        hour = (m % 1440) / 60
        shape = 0.2 + 2.0 * math.exp(-0.5 * ((hour - 14) / 2.5) ** 2) if daily else 1.0
        total = int(rng.poisson(rate * shape))
        negative = int(rng.binomial(total, 0.3))
        positive = int(rng.binomial(total - negative, 0.5))
        points.append(MinutePoint(at(m), total, negative, positive))
    return points


def learned(points: list[MinutePoint], params: DetectorParams | None = None) -> SpikeDetector:
    detector = SpikeDetector(params)
    for p in points:
        detector.update(p)
    return detector


@pytest.fixture(scope="module")
def quiet() -> list[MinutePoint]:
    return steady(0.5, 2 * 1440)


def test_small_jump_on_a_silent_series_does_not_fire() -> None:
    detector = learned([MinutePoint(at(m), 0, 0, 0) for m in range(1500)])
    assert detector.update(MinutePoint(at(1500), 2, 2, 0)) == []


def test_eight_posts_against_half_a_post_a_minute_fires(quiet: list[MinutePoint]) -> None:
    detector = learned(quiet)
    found = detector.update(MinutePoint(at(len(quiet)), 8, 2, 3))
    volume = [d for d in found if d.metric == "volume"]
    assert len(volume) == 1
    assert volume[0].observed == 8
    assert 0.3 < volume[0].expected < 0.8
    assert volume[0].p_value < 1e-4
    assert 1 <= volume[0].severity <= 10


def test_negative_burst_fires_negative_and_net_sentiment() -> None:
    points = steady(20.0, 1600)
    detector = learned(points)
    found: list[Detection] = []
    for m in range(1600, 1610):
        found += detector.update(MinutePoint(at(m), 20, 18, 1))
    metrics = {d.metric for d in found}
    assert {"negative", "net_sentiment"} <= metrics
    net = next(d for d in found if d.metric == "net_sentiment")
    assert net.observed < net.expected - 0.3


def test_warm_up_never_fires() -> None:
    points = [*steady(1.0, 300), MinutePoint(at(300), 50, 20, 10)]
    assert detect_history(points) == []


def test_daily_peak_does_not_fire_after_a_week() -> None:
    points = steady(5.0, 9 * 1440, seed=3, daily=True)
    last_day = [d for d in detect_history(points) if d.minute >= at(8 * 1440)]
    assert last_day == []


def test_results_for_a_minute_do_not_change_when_later_minutes_arrive(
    quiet: list[MinutePoint],
) -> None:
    spike = [MinutePoint(at(len(quiet) + i), 6, 3, 1) for i in range(5)]
    short = detect_history([*quiet, *spike])
    later = steady(0.5, 200, seed=9)
    longer = detect_history(
        [
            *quiet,
            *spike,
            *(MinutePoint(at(len(quiet) + 5 + i), p.total, 0, 0) for i, p in enumerate(later)),
        ]
    )
    cut = at(len(quiet) + 5)
    assert short and [d for d in longer if d.minute < cut] == short


def test_state_round_trip_gives_identical_detections(quiet: list[MinutePoint]) -> None:
    first, rest = (
        quiet[:1600],
        quiet[1600:] + [MinutePoint(at(len(quiet) + i), 7, 4, 1) for i in range(4)],
    )
    original = learned(first)
    state = json.loads(json.dumps(original.to_state()))
    restored = SpikeDetector.from_state(state)
    assert restored.last_minute == original.last_minute == at(1599)
    a = [d for p in rest for d in original.update(p)]
    b = [d for p in rest for d in restored.update(p)]
    assert a and a == b


def test_state_of_other_parameters_is_refused(quiet: list[MinutePoint]) -> None:
    state = learned(quiet[:10]).to_state()
    with pytest.raises(ValueError, match="window count"):
        SpikeDetector.from_state(state, DetectorParams(window_half_lives=(0.0, 8.0)))
    with pytest.raises(ValueError, match="version"):
        SpikeDetector.from_state({**state, "version": "other"})


def test_backfill_equals_streaming(quiet: list[MinutePoint]) -> None:
    points = [*quiet, *(MinutePoint(at(len(quiet) + i), 9, 5, 1) for i in range(3))]
    detector = SpikeDetector()
    streamed = [d for p in points for d in detector.update(p)]
    assert streamed and detect_history(points) == streamed


def test_evaluate_many_equals_one_by_one(quiet: list[MinutePoint]) -> None:
    histories = [quiet[:1500], steady(30.0, 1500, seed=5), quiet[:1400]]
    singles = [learned(h) for h in histories]
    batch = [SpikeDetector.from_state(d.to_state()) for d in singles]
    points = [
        MinutePoint(at(1500), 9, 6, 1),
        MinutePoint(at(1500), 140, 90, 5),
        MinutePoint(at(1500), 12, 2, 2),
    ]
    expected = [d.update(p) for d, p in zip(singles, points, strict=True)]
    got = evaluate_many(batch, points)
    assert [[(x.metric, x.severity) for x in row] for row in got] == [
        [(x.metric, x.severity) for x in row] for row in expected
    ]
    for row_got, row_exp in zip(got, expected, strict=True):
        for x, y in zip(row_got, row_exp, strict=True):
            assert x.expected == pytest.approx(y.expected, rel=1e-12)
            assert x.p_value == pytest.approx(y.p_value, rel=1e-9)
    assert any(expected)
    assert next(d.to_state() for d in batch)["values"] == pytest.approx(
        singles[0].to_state()["values"], rel=1e-12
    )


def test_severity_grows_with_size() -> None:
    base = learned(steady(10.0, 1500, seed=4)).to_state()
    severities = []
    for size in (30, 50, 100, 200):
        detector = SpikeDetector.from_state(base)
        found = detector.update(MinutePoint(at(1500), size, 3, 3))
        severities.append(next(d.severity for d in found if d.metric == "volume"))
    assert severities == sorted(severities)
    assert severities[0] < severities[-1]


def test_gap_is_learned_as_empty_minutes(quiet: list[MinutePoint]) -> None:
    skipped = learned(quiet)
    skipped.update(MinutePoint(at(len(quiet) + 30), 1, 0, 0))
    filled = learned(quiet)
    for m in range(len(quiet), len(quiet) + 30):
        filled.update(MinutePoint(at(m), 0, 0, 0))
    filled.update(MinutePoint(at(len(quiet) + 30), 1, 0, 0))
    assert skipped.to_state() == filled.to_state()
    assert skipped.last_minute == at(len(quiet) + 30)


def test_out_of_order_and_bad_points_are_refused(quiet: list[MinutePoint]) -> None:
    detector = learned(quiet[:5])
    with pytest.raises(ValueError, match="in order"):
        detector.update(quiet[2])
    with pytest.raises(ValueError, match="UTC"):
        MinutePoint(datetime(2025, 1, 1), 1, 0, 0)
    with pytest.raises(ValueError, match="exceeds"):
        MinutePoint(at(0), 1, 1, 1)
    with pytest.raises(ValueError, match="floored"):
        MinutePoint(at(0) + timedelta(seconds=5), 1, 0, 0)
