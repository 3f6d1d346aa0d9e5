"""UTC time helpers: the project never handles naive datetimes past its edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def floor_minute(value: datetime) -> datetime:
    value = to_utc(value)
    return value.replace(second=0, microsecond=0)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
