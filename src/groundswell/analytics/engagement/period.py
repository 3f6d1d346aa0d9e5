"""The period a request asks for, checked: both ends are UTC days and both are included."""

from __future__ import annotations

from datetime import date, timedelta

from groundswell.core.errors import InvalidInputError

MAX_DAYS = 400
"""A longer period is refused (a year and a bit covers every comparison a dashboard makes)."""
DEFAULT_DAYS = 30


def resolve(
    start: date | None, end: date | None, days: int | None, *, today: date
) -> tuple[date, date]:
    """``start``…``end``, or the ``days`` up to ``end`` (default today); 422 naming the field
    for an inverted or too long period."""
    last = end or today
    try:
        first = start or last - timedelta(days=(days or DEFAULT_DAYS) - 1)
    except OverflowError as exc:
        raise InvalidInputError("the period starts before year 1", field="days") from exc
    if start is not None and days is not None:
        raise InvalidInputError("give either start or days, not both", field="days")
    if last < first:
        raise InvalidInputError("end is before start", field="end")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInputError(f"a period is at most {MAX_DAYS} days", field="start")
    return first, last
