"""Business-time arithmetic: "8 business hours after this message" as a UTC instant.

Pure and fast (the SLA engine computes a due time for every case on every change, and
the inbox sorts by time to breach). A ``Schedule`` is a time zone, opening hours per
weekday (wall-clock minutes) and a set of holidays. Each local day's open intervals are
turned once into UTC epoch seconds and cached, so a computation is a short walk over
floats; daylight-saving changes are handled by converting each interval's wall-clock
bounds, which is what a customer on that day sees on the clock.

Written by hand rather than taken from a library: docs/adr/0008-engagement.md says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366
"""A target that needs more than three years of opening hours is refused, not looped on."""

Interval = tuple[int, int]
"""Minutes after local midnight: (start, end), end exclusive, 0 ≤ start < end ≤ 1440."""


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True, eq=False)
class Schedule:
    """When the team works. ``hours[0]`` is Monday; an empty list is a closed day."""

    tz: str = "UTC"
    hours: Sequence[Sequence[Interval]] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _days: dict[int, tuple[tuple[float, float], ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _always: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ScheduleError("hours needs one entry per weekday (Monday first)")
        for day in self.hours:
            last = -1
            for start, end in day:
                if not (0 <= start < end <= 1440) or start < last:
                    raise ScheduleError(f"bad interval {start}-{end}: sorted, within a day")
                last = end
        always = all(list(d) == [(0, 1440)] for d in self.hours) and not self.holidays
        object.__setattr__(self, "_always", always)
        try:
            object.__setattr__(self, "_zone", ZoneInfo(self.tz))
        except (KeyError, ValueError) as exc:
            raise ScheduleError(f"unknown time zone {self.tz!r}") from exc

    @property
    def always_open(self) -> bool:
        return self._always

    def day(self, ordinal: int) -> tuple[tuple[float, float], ...]:
        """Open intervals of one local day (by date ordinal) as UTC epoch seconds."""
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        local = date.fromordinal(ordinal)
        spans: tuple[tuple[float, float], ...] = ()
        if local not in self.holidays:
            out = []
            for start, end in self.hours[local.weekday()]:
                out.append((self._epoch(local, start), self._epoch(local, end)))
            spans = tuple(out)
        self._days[ordinal] = spans
        return spans

    def _epoch(self, local: date, minute: int) -> float:
        if minute >= 1440:
            local, minute = local + timedelta(days=1), 0
        wall = datetime.combine(local, time(minute // 60, minute % 60), tzinfo=self._zone)
        return wall.timestamp()

    def local_ordinal(self, ts: float) -> int:
        return datetime.fromtimestamp(ts, self._zone).toordinal()


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _first_day(ts: float) -> int:
    """A local day at or before the one containing ``ts`` in any time zone (offsets are
    under 24 h), found without a time-zone lookup: the walk skips the spare day cheaply."""
    return int(ts // 86400) + _EPOCH_ORDINAL - 2


def add_business_seconds(schedule: Schedule, start: datetime, seconds: float) -> datetime:
    """The instant ``seconds`` of opening hours after ``start`` (timezone-aware)."""
    return _from_ts(add_business_seconds_ts(schedule, start.timestamp(), seconds))


def add_business_seconds_ts(schedule: Schedule, ts: float, seconds: float) -> float:
    if seconds < 0:
        raise ScheduleError("a target cannot be negative")
    if schedule._always:
        return ts + seconds
    remaining = float(seconds)
    ordinal = _first_day(ts)
    for _ in range(MAX_DAYS):
        for lo, hi in schedule.day(ordinal):
            if hi <= ts:
                continue
            begin = lo if lo > ts else ts
            span = hi - begin
            if remaining <= span:
                return begin + remaining
            remaining -= span
        ordinal += 1
    raise ScheduleError("no opening hours within three years: check the schedule")


def business_seconds_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    """Opening-hours seconds in [start, end); negative when ``end`` is before ``start``."""
    a, b = start.timestamp(), end.timestamp()
    if b < a:
        return -business_seconds_between(schedule, end, start)
    if schedule.always_open:
        return b - a
    total = 0.0
    ordinal = _first_day(a)
    last = _first_day(b) + 4
    while ordinal <= last:
        for lo, hi in schedule.day(ordinal):
            lo2, hi2 = max(lo, a), min(hi, b)
            if hi2 > lo2:
                total += hi2 - lo2
        ordinal += 1
    return total


def is_open(schedule: Schedule, at: datetime) -> bool:
    ts = at.timestamp()
    ordinal = schedule.local_ordinal(ts)
    return any(lo <= ts < hi for lo, hi in schedule.day(ordinal))


def _from_ts(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hours(spec: Mapping[str, str]) -> list[list[Interval]]:
    """``{"mon": "09:00-17:00", "sat": "10:00-12:00,13:00-15:00"}`` → intervals per weekday."""
    hours: list[list[Interval]] = [[] for _ in range(7)]
    for key, value in spec.items():
        if key not in WEEKDAYS:
            raise ScheduleError(f"unknown weekday {key!r} (use {', '.join(WEEKDAYS)})")
        for part in (p.strip() for p in value.split(",") if p.strip()):
            try:
                a, b = part.split("-")
                start = _minute(a)
                end = _minute(b)
            except ValueError:
                raise ScheduleError(f"{key}: {part!r} is not HH:MM-HH:MM") from None
            hours[WEEKDAYS.index(key)].append((start, end))
        hours[WEEKDAYS.index(key)].sort()
    return hours


def _minute(text: str) -> int:
    hh, mm = text.strip().split(":")
    h, m = int(hh), int(mm)
    if not (0 <= h <= 24 and 0 <= m < 60) or h * 60 + m > 1440:
        raise ValueError(text)
    return h * 60 + m


def country_holidays(
    country: str | None, years: Iterable[int], subdiv: str | None = None
) -> frozenset[date]:
    """Public holidays from the ``holidays`` library (empty when no country is set)."""
    if not country:
        return frozenset()
    import holidays

    try:
        found = holidays.country_holidays(country, subdiv=subdiv, years=list(years))
    except NotImplementedError as exc:
        raise ScheduleError(f"no holiday calendar for country {country!r}") from exc
    return frozenset(found.keys())
