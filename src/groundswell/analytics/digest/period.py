"""Digest periods (pure): a day or a Monday-started week, in a time zone, as UTC bounds.

A subscriber in Tokyo reads "yesterday" as a Tokyo day, so a period is cut in the
recipient's zone and only then turned into UTC for the rollup queries. Daylight-saving
days are 23 or 25 hours long; that is what the local calendar says, and it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

PeriodKind = Literal["day", "week"]
PERIODS: tuple[PeriodKind, ...] = ("day", "week")


class UnknownTimeZoneError(ValueError):
    """The name is not an IANA time zone this system knows."""


@cache
def _known_zones() -> frozenset[str]:
    """The zones this system knows, read once: listing them walks the whole tz database
    (about 15 ms), and a digest page asked six times."""
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; refuses paths, empty names and unknown zones."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise UnknownTimeZoneError(name)
    if name not in _known_zones():
        raise UnknownTimeZoneError(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZoneError(name) from exc


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first_day: date
    """The local date the period starts on (a Monday for a week)."""
    start: datetime
    end: datetime
    """UTC bounds, end excluded."""
    tz: str

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first_day.strftime("%A %-d %B %Y")
        last = self.first_day + timedelta(days=6)
        return f"Week of {self.first_day:%-d %b} – {last:%-d %b %Y}"

    def previous(self) -> Period:
        return period_of(self.kind, self.first_day - timedelta(days=self.days), self.tz)

    @property
    def days(self) -> int:
        return 1 if self.kind == "day" else 7


def period_of(kind: PeriodKind, day: date, tz: str = "UTC") -> Period:
    """The day, or the Monday-started week, containing ``day`` in zone ``tz``."""
    where = zone(tz)
    first = day if kind == "day" else day - timedelta(days=day.weekday())
    length = 1 if kind == "day" else 7
    start = datetime.combine(first, time(0), where).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=length), time(0), where).astimezone(UTC)
    return Period(kind=kind, first_day=first, start=start, end=end, tz=tz)


def due_period(kind: PeriodKind, *, send_hour: int, tz: str, now: datetime) -> Period:
    """The latest period whose digest is due at ``now``.

    A daily digest at 07:00 covers yesterday and is due from 07:00 today (local); before
    07:00 the one due is the day before's. A weekly one covers last week and is due from
    Monday 07:00. Late ticks still send it (until the next period's digest takes over), so
    a worker that was down at 07:00 catches up.
    """
    local = now.astimezone(zone(tz))
    today = local.date()
    sent_on = today if kind == "day" else today - timedelta(days=today.weekday())
    due_at = datetime.combine(sent_on, time(send_hour), zone(tz))
    if local < due_at:
        sent_on -= timedelta(days=1 if kind == "day" else 7)
    return period_of(kind, sent_on - timedelta(days=1), tz)
