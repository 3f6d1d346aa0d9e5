"""Business-time arithmetic against a minute-by-minute reference walk."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from groundswell.engagement.business_time import (
    Schedule,
    ScheduleError,
    add_business_seconds,
    business_seconds_between,
    country_holidays,
    is_open,
    parse_hours,
)

WEEKDAYS_9_17 = parse_hours({d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")})
PARIS = Schedule(tz="Europe/Paris", hours=WEEKDAYS_9_17)


def reference_add(schedule: Schedule, start: datetime, minutes: int) -> datetime:
    """The slow truth: step one minute at a time, counting minutes when open."""
    zone = ZoneInfo(schedule.tz)
    t = start
    left = minutes
    while left > 0:
        local = t.astimezone(zone)
        m = local.hour * 60 + local.minute
        open_now = local.date() not in schedule.holidays and any(
            a <= m < b for a, b in schedule.hours[local.weekday()]
        )
        t += timedelta(minutes=1)
        if open_now:
            left -= 1
    return t


def test_within_the_same_day() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 10:00 Paris
    assert add_business_seconds(PARIS, start, 3600) == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_friday_evening_rolls_to_monday() -> None:
    start = datetime(2026, 3, 6, 15, 30, tzinfo=UTC)  # Friday 16:30 Paris
    due = add_business_seconds(PARIS, start, 3600)
    assert due.astimezone(ZoneInfo("Europe/Paris")) == datetime(
        2026, 3, 9, 9, 30, tzinfo=ZoneInfo("Europe/Paris")
    )


def test_holiday_is_skipped() -> None:
    holidays = country_holidays("FR", [2026])
    assert date(2026, 5, 1) in holidays  # Labour Day, a Friday
    schedule = Schedule(tz="Europe/Paris", hours=WEEKDAYS_9_17, holidays=holidays)
    start = datetime(2026, 4, 30, 14, 0, tzinfo=UTC)  # Thursday 16:00 Paris
    due = add_business_seconds(schedule, start, 2 * 3600)
    local = due.astimezone(ZoneInfo("Europe/Paris"))
    assert local.date() == date(2026, 5, 4) and (local.hour, local.minute) == (10, 0)


def test_daylight_saving_change_counts_wall_clock_hours() -> None:
    # Paris springs forward on Sunday 29 March 2026; Friday 16:00 + 2 h = Monday 10:00
    start = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    due = add_business_seconds(PARIS, start, 2 * 3600)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 CEST


@pytest.mark.parametrize("seed", range(5))
def test_matches_reference_walk(seed: int) -> None:
    rng = random.Random(seed)
    holidays = frozenset({date(2026, 3, 17), date(2026, 3, 30)})
    schedule = Schedule(
        tz="America/New_York",
        hours=parse_hours(
            {"mon": "08:00-12:00,13:00-18:00", "wed": "00:00-24:00", "sat": "10:00-14:00"}
        ),
        holidays=holidays,
    )
    for _ in range(20):
        start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 40000))
        minutes = rng.randrange(0, 3000)
        due = add_business_seconds(schedule, start, minutes * 60)
        assert due == reference_add(schedule, start, minutes), (start, minutes)
        assert business_seconds_between(schedule, start, due) == pytest.approx(minutes * 60)


def test_between_and_is_open() -> None:
    monday_10 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert is_open(PARIS, monday_10)
    assert not is_open(PARIS, datetime(2026, 3, 7, 12, tzinfo=UTC))  # Saturday
    friday_16 = datetime(2026, 3, 6, 15, tzinfo=UTC)
    next_monday_10 = datetime(2026, 3, 9, 9, tzinfo=UTC)
    assert business_seconds_between(PARIS, friday_16, next_monday_10) == 2 * 3600
    assert business_seconds_between(PARIS, next_monday_10, friday_16) == -2 * 3600
    assert business_seconds_between(PARIS, monday_10, friday_16) == (7 + 3 * 8 + 7) * 3600


def test_bad_schedules_are_refused() -> None:
    with pytest.raises(ScheduleError):
        parse_hours({"monday": "09:00-17:00"})
    with pytest.raises(ScheduleError):
        parse_hours({"mon": "9-17"})
    with pytest.raises(ScheduleError):
        Schedule(tz="Mars/Olympus", hours=WEEKDAYS_9_17)
    with pytest.raises(ScheduleError):
        add_business_seconds(Schedule(tz="UTC"), datetime(2026, 1, 1, tzinfo=UTC), 60)
    with pytest.raises(ScheduleError):
        add_business_seconds(PARIS, datetime(2026, 1, 1, tzinfo=UTC), -1)
