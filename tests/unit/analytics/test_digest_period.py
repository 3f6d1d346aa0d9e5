"""Digest periods in a recipient's zone, when a digest is due, and gap detection (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from groundswell.analytics.digest.gaps import silent_hours
from groundswell.analytics.digest.moved import Hourly
from groundswell.analytics.digest.period import UnknownTimeZoneError, due_period, period_of, zone
from groundswell.analytics.digest.why import one_line


def test_a_day_and_a_week_in_a_zone() -> None:
    day = period_of("day", date(2026, 11, 25), "Asia/Tokyo")
    assert day.start == datetime(2026, 11, 24, 15, tzinfo=UTC)
    assert day.end == datetime(2026, 11, 25, 15, tzinfo=UTC)
    week = period_of("week", date(2026, 11, 26), "UTC")
    assert week.first_day == date(2026, 11, 23) and week.days == 7
    assert week.previous().first_day == date(2026, 11, 16)


def test_daylight_saving_day_is_23_hours() -> None:
    spring = period_of("day", date(2026, 3, 29), "Europe/Paris")
    assert (spring.end - spring.start).total_seconds() == 23 * 3600


def test_due_period() -> None:
    before = due_period(
        "day", send_hour=7, tz="Europe/Paris", now=datetime(2026, 11, 25, 5, tzinfo=UTC)
    )
    after = due_period(
        "day", send_hour=7, tz="Europe/Paris", now=datetime(2026, 11, 25, 6, tzinfo=UTC)
    )
    assert before.first_day == date(2026, 11, 23) and after.first_day == date(2026, 11, 24)
    weekly = due_period("week", send_hour=7, tz="UTC", now=datetime(2026, 11, 25, 9, tzinfo=UTC))
    assert weekly.first_day == date(2026, 11, 16)


@pytest.mark.parametrize("name", ["", "Mars/Base", "../../etc/passwd", "/etc/localtime", "x" * 65])
def test_unknown_zones(name: str) -> None:
    with pytest.raises(UnknownTimeZoneError):
        zone(name)


def test_silent_hours_only_where_usually_busy() -> None:
    counts = Hourly([0] * 6, [5, 0, 0, 4, 0, 3], [0] * 6)
    assert silent_hours(counts, [6, 8, 9, 6, 1, None]) == [(1, 2)]


def test_one_line_keeps_whole_sentences() -> None:
    text = "Talk rose to 3× its usual level. The words are “delay”. " + "More. " * 80
    line = one_line(text, 80)
    assert line.startswith("Talk rose to 3× its usual level. The words are “delay”. More.")
    assert line.endswith("More.") and len(line) <= 80
    assert len(one_line("x" * 500, 100)) == 100
