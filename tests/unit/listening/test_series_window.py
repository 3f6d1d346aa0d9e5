"""Series windows and zero-filled points, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from groundswell.core.errors import InvalidInputError
from groundswell.listening.series import build_columns, totals_of
from groundswell.listening.series_schemas import MAX_BUCKETS, SeriesWindow, parse_instant

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_bounds_widen_to_whole_buckets() -> None:
    w = SeriesWindow.build(
        start=T0 + timedelta(minutes=7, seconds=3), end=T0 + timedelta(minutes=21), resolution="5m"
    )
    assert (w.start, w.end, w.buckets) == (T0 + timedelta(minutes=5), T0 + timedelta(minutes=25), 4)
    assert w.bucket_starts()[-1] == T0 + timedelta(minutes=20)


def test_days_are_utc_days_whatever_the_offset() -> None:
    paris = timezone(timedelta(hours=2))
    w = SeriesWindow.build(
        start=datetime(2024, 5, 1, 1, 0, tzinfo=paris),
        end=datetime(2024, 5, 2, 1, 0, tzinfo=paris),
        resolution="1d",
    )
    assert w.start == datetime(2024, 4, 30, tzinfo=UTC)
    assert w.buckets == 2 and w.start.tzinfo == UTC


@pytest.mark.parametrize(
    ("resolution", "span"),
    [
        ("1m", timedelta(days=7)),
        ("5m", timedelta(days=35)),
        ("1h", timedelta(days=420)),
    ],
)
def test_largest_ranges_pass_and_one_more_bucket_fails(resolution: str, span: timedelta) -> None:
    assert SeriesWindow.build(start=T0, end=T0 + span, resolution=resolution).buckets == MAX_BUCKETS
    with pytest.raises(InvalidInputError) as err:
        SeriesWindow.build(start=T0, end=T0 + span + timedelta(seconds=1), resolution=resolution)
    assert err.value.field == "end" and "range too large" in str(err.value)


@pytest.mark.parametrize("end", [T0, T0 - timedelta(seconds=1)])
def test_end_must_follow_start(end: datetime) -> None:
    with pytest.raises(InvalidInputError) as err:
        SeriesWindow.build(start=T0, end=end, resolution="1m")
    assert err.value.field == "end"


def test_unknown_resolution() -> None:
    with pytest.raises(InvalidInputError) as err:
        SeriesWindow.build(start=T0, end=T0 + timedelta(hours=1), resolution="10m")
    assert err.value.field == "resolution"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", T0),
        ("2024-05-01T14:00:00+02:00", T0),
        ("2024-05-01 12:00", T0),
        ("2024-05-01T12:00:00.250z", T0 + timedelta(milliseconds=250)),
    ],
)
def test_instants_parse_to_utc(text: str, expected: datetime) -> None:
    value = parse_instant(text, field="start")
    assert value == expected and value.tzinfo == UTC


@pytest.mark.parametrize("text", ["", "  ", "yesterday", "2024-02-30T00:00:00Z", "1714564800"])
def test_malformed_instants_name_the_field(text: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_instant(text, field="start")
    assert err.value.field == "start"


def test_columns_are_zero_filled_and_totals_have_null_ratios_when_empty() -> None:
    w = SeriesWindow.build(start=T0, end=T0 + timedelta(minutes=3), resolution="1m")
    epoch = int(T0.timestamp())
    rows = [
        (epoch, "negative", 3, -1.2),
        (epoch, "positive", 1, 0.8),
        (epoch, "negative", 1, -0.4),
        (epoch + 120, "neutral", 2, 0.0),
        (epoch + 180, "neutral", 9, 0.0),  # outside the window: ignored
    ]
    cols = build_columns(w, rows)
    assert cols.volume() == [5, 0, 2]
    assert (cols.negative, cols.neutral, cols.positive) == ([4, 0, 0], [0, 0, 2], [1, 0, 0])
    total = totals_of(cols)
    assert (total.volume, total.negative, total.neutral, total.positive) == (7, 4, 2, 1)
    assert total.net_sentiment == pytest.approx(-3 / 7, abs=1e-4)
    assert total.mean_score == pytest.approx(-0.8 / 7, abs=1e-4)
    empty = totals_of(build_columns(w, []))
    assert (empty.volume, empty.net_sentiment, empty.mean_score) == (0, None, None)
