"""The values that cross the detector's boundary: closed minutes in, detections out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

METRICS = ("volume", "negative", "net_sentiment")
"""Volume (all posts), negative volume, and net sentiment (judged for drops only)."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class MinutePoint:
    """One closed minute of one series, as the per-minute rollups give it.

    Neutral posts are ``total - negative - positive``; net sentiment is
    ``(positive - negative) / total`` and undefined for an empty minute.
    """

    minute: datetime
    total: int
    negative: int
    positive: int

    def __post_init__(self) -> None:
        if self.minute.tzinfo is None or self.minute.utcoffset() != timedelta(0):
            raise ValueError(f"minute must be timezone-aware UTC, got {self.minute!r}")
        if self.minute.second or self.minute.microsecond:
            raise ValueError(f"minute must be floored to the minute, got {self.minute!r}")
        if self.total < 0 or self.negative < 0 or self.positive < 0:
            raise ValueError(f"counts must not be negative: {self}")
        if self.negative + self.positive > self.total:
            raise ValueError(f"negative + positive exceeds total: {self}")


@dataclass(frozen=True, slots=True)
class Detection:
    """One metric of one minute judged anomalous, with the evidence an analyst reads.

    For ``volume`` and ``negative``, ``expected`` and ``observed`` are those of the
    evidence window that fired, per minute (its weighted mean expectation and count; for
    the single-minute window, that minute's). For ``net_sentiment`` they are the baseline
    net sentiment and the net sentiment over the window that fired. ``severity`` is the
    expected waiting time between events this surprising on this series, on a fixed
    1–10 scale (see ``rarity``).
    """

    metric: str
    minute: datetime
    expected: float
    observed: float
    severity: int
    p_value: float


def minute_index(minute: datetime) -> int:
    """Whole minutes since the Unix epoch, the detector's clock."""
    return int((minute - EPOCH).total_seconds()) // 60


def minute_at(index: int) -> datetime:
    return EPOCH + timedelta(minutes=index)
