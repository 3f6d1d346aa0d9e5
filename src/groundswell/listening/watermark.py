"""The ingest watermark: which closed minutes the pipeline has fully stored.

A minute is *closed* by the clock (it ended ``GRACE`` ago) but *complete* only once the
pipeline has caught up with it. The watermark is derived, not kept: the newest minute of
the rollups (every stored post counts there, under ``ALL_POSTS`` at least), which the
process stage writes in the same transaction as the posts, so it only ever shows
committed work, and reading it is one probe of the primary key (``minute`` first).
Posts reach the store roughly in the order they were written, so once a post of a later
minute is stored, the earlier minutes are in. While the pipeline is behind (loading a
backlog, restarting, a model still warming up) the evaluator waits instead of reading
the missing posts as silence.

If nothing newer is stored for ``STALL_WAIT`` the minutes are judged anyway, so a
quiet store or a failed connector does not freeze alerting; the minutes in which no
post at all was stored are then *gaps*: stepped over by the detector, never alerted on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.core.clock import floor_minute
from groundswell.listening.models import MinuteRollup
from groundswell.listening.spikes import Detection

MINUTE = timedelta(minutes=1)
STALL_WAIT = timedelta(minutes=5)
"""How long a closed minute waits for the watermark before it is judged anyway."""
GAP_SHADOW = 60
"""Minutes after a gap in which a *drop* is not alerted: its window reaches into the gap."""


def ingest_watermark(session: Session) -> datetime | None:
    """The newest minute with a stored post, or None for an empty store."""
    newest = session.scalar(select(func.max(MinuteRollup.minute)))
    return floor_minute(newest) if newest is not None else None


def judged_through(
    last_closed: datetime,
    watermark: datetime | None,
    *,
    now: datetime,
    stall_wait: timedelta = STALL_WAIT,
) -> datetime:
    """The newest minute that may be judged now.

    A minute before the watermark's minute is complete. Past it, a closed minute waits
    until it ended ``stall_wait`` ago: then the pipeline is stalled or the store quiet,
    and waiting longer would only delay every alert.
    """
    stalled = floor_minute(now - stall_wait) - MINUTE
    if watermark is None:
        return min(last_closed, stalled)
    return min(last_closed, max(watermark - MINUTE, stalled))


def gap_minutes(session: Session, start: datetime, end: datetime) -> frozenset[datetime]:
    """Minutes in ``[start, end]`` in which no post at all was stored (none before the first)."""
    if start > end:
        return frozenset()
    stored = {
        floor_minute(m)
        for m in session.scalars(
            select(MinuteRollup.minute)
            .where(
                MinuteRollup.minute >= start,
                MinuteRollup.minute <= end,
                MinuteRollup.count > 0,
            )
            .distinct()
        )
    }
    gaps: set[datetime] = set()
    minute = start
    while minute <= end:
        if minute not in stored:
            gaps.add(minute)
        minute += MINUTE
    return frozenset(gaps)


def near_gap(detection: Detection, gaps: frozenset[datetime]) -> bool:
    """A drop whose evidence window may reach back into a gap: not the series' doing."""
    if not gaps or detection.observed >= detection.expected:
        return False
    return any(detection.minute - k * MINUTE in gaps for k in range(1, GAP_SHADOW + 1))
