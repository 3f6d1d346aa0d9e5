"""Shapes of the listening series and share of voice at the edges (API, charts).

A request is validated here, before any query runs: dates must parse, the range must be
forward and small enough that the answer stays a few thousand buckets, whatever the
resolution. Errors name the field so a client can point at it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from groundswell.core.clock import to_utc
from groundswell.core.errors import InvalidInputError

Resolution = Literal["1m", "5m", "1h", "1d"]
RESOLUTIONS: dict[str, int] = {"1m": 60, "5m": 300, "1h": 3600, "1d": 86400}
"""Bucket width in seconds; buckets are aligned to the Unix epoch, hence to UTC."""

MAX_BUCKETS = 10_080
"""A week at one-minute resolution; 35 days at 5 min, 420 days hourly, 27 years daily.
Keeps a response under a megabyte and a chart readable."""


def parse_instant(value: str, *, field: str) -> datetime:
    """An ISO 8601 instant as aware UTC; a value without offset is taken as UTC."""
    text = value.strip()
    if not text:
        raise InvalidInputError(f"{field} is empty; give an ISO 8601 date-time", field=field)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{field} is not an ISO 8601 date-time: {value[:64]!r}", field=field
        ) from None
    return to_utc(parsed)


class SeriesWindow(BaseModel):
    """A validated range split into buckets: ``[start, end)`` with ``start`` on a boundary."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    resolution: Resolution
    step_seconds: int
    buckets: int

    @classmethod
    def build(cls, *, start: datetime, end: datetime, resolution: str) -> SeriesWindow:
        """Align ``start`` down and ``end`` up to the resolution, and check the size."""
        step = RESOLUTIONS.get(resolution)
        if step is None:
            allowed = ", ".join(RESOLUTIONS)
            raise InvalidInputError(
                f"resolution must be one of {allowed}, not {resolution[:16]!r}",
                field="resolution",
            )
        start, end = to_utc(start), to_utc(end)
        if end <= start:
            raise InvalidInputError("end must be after start", field="end")
        first = _floor(start, step)
        last = _floor(end, step)
        if last < end:
            last += timedelta(seconds=step)
        buckets = int((last - first).total_seconds()) // step
        if buckets > MAX_BUCKETS:
            raise InvalidInputError(
                f"range too large: {buckets} buckets at {resolution}, at most {MAX_BUCKETS}; "
                "pick a coarser resolution or a shorter range",
                field="end",
            )
        return cls(
            start=first,
            end=last,
            resolution=resolution,
            step_seconds=step,
            buckets=buckets,
        )

    def bucket_starts(self) -> list[datetime]:
        step = timedelta(seconds=self.step_seconds)
        return [self.start + i * step for i in range(self.buckets)]


def _floor(value: datetime, step: int) -> datetime:
    epoch = int(value.timestamp())
    return datetime.fromtimestamp(epoch - epoch % step, tz=value.tzinfo)


class SeriesTotals(BaseModel):
    """Counts over the whole range. ``net_sentiment`` is (positive − negative) / volume and
    ``mean_score`` the mean sentiment score; both are null when nothing was said, rather
    than a fake 0."""

    volume: int
    negative: int
    neutral: int
    positive: int
    net_sentiment: float | None
    mean_score: float | None


class SpikeMark(BaseModel):
    """An anomalous minute the detector recorded, for marking on the chart."""

    minute: datetime
    metric: str
    severity: int
    expected: float
    observed: float
    alert_id: int | None


class Series(BaseModel):
    """One array per measure, aligned with ``t`` (bucket starts), as charts take them.

    Buckets without posts are present with zero counts and null ratios.
    """

    subject_id: int
    """0 means every post, whatever it matched."""
    subject_name: str
    channel: str | None
    resolution: Resolution
    step_seconds: int
    start: datetime
    end: datetime
    t: list[datetime]
    volume: list[int]
    negative: list[int]
    neutral: list[int]
    positive: list[int]
    net_sentiment: list[float | None]
    mean_score: list[float | None]
    totals: SeriesTotals
    spikes: list[SpikeMark]
    gaps: list[bool] = Field(default_factory=list)
    """True where the bucket is a gap, not a drop: nothing at all was stored while the
    store is usually busy (down, loading, a connector cut off). Charts leave it blank;
    its counts are zeros only because nothing is known."""


class VoiceShare(BaseModel):
    subject_id: int
    name: str
    kind: str
    volume: int
    share: float | None
    """This subject's fraction of the chosen subjects' total volume; null when it is 0."""
    volumes: list[int]
    """Volume per bucket, aligned with ``ShareOfVoice.buckets``."""


class ShareOfVoice(BaseModel):
    """How much of the conversation each subject takes, over the range and per bucket.

    Shares are of the chosen subjects' combined volume: a post that names two brands
    counts for each, so shares compare attention, not exclusive posts.
    """

    channel: str | None
    resolution: Resolution
    start: datetime
    end: datetime
    total: int
    buckets: list[datetime]
    subjects: list[VoiceShare]
