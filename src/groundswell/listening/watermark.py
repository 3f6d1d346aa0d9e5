"""The ingest watermark: which closed minutes the pipeline has fully stored.

A minute is *closed* by the clock (it ended ``GRACE`` ago) but *complete* only once the
pipeline has caught up with it. The watermark is derived, not kept: the newest minute of
the rollups (every stored post counts there, under ``ALL_POSTS`` at least), which the
process stage writes in the same transaction as the posts, so it only ever shows
committed work. Posts of one channel reach the store roughly in the order they were
written, so once a post of a later minute is stored, that channel's earlier minutes are
in. It is kept **per channel**: the watermark is the oldest of the busy channels'
newest minutes, so a connector that fell behind (a backlog, a reconnect) holds judging
back while a current one runs ahead. Only busy channels (``BUSY_RATE`` posts a minute
over the last hour) count: on a channel that speaks every few minutes, an empty minute
cannot tell "behind" from "quiet", and waiting on it would delay every alert. While the
pipeline is behind (loading a backlog, restarting, a model still warming up) the
evaluator waits instead of reading the missing posts as silence.

If nothing newer is stored for ``STALL_WAIT`` the minutes are judged anyway, so a
quiet store or a failed connector does not freeze alerting; the minutes in which no
post at all was stored are then *gaps*: stepped over by the detector, never alerted on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.core.clock import floor_minute
from groundswell.listening.models import ALL_POSTS, MinuteRollup
from groundswell.listening.spikes import Detection

MINUTE = timedelta(minutes=1)
STALL_WAIT = timedelta(minutes=5)
"""How long a closed minute waits for the watermark before it is judged anyway."""
BUSY_RATE = 1.0
"""Posts a minute, over the last ``BUSY_WINDOW``, from which a channel's watermark counts."""
BUSY_WINDOW = timedelta(hours=1)
GAP_SHADOW = 60
"""Minutes after a gap in which a *drop* is not alerted: its window reaches into the gap."""


def ingest_watermark(session: Session, *, now: datetime | None = None) -> datetime | None:
    """The minute through which every busy channel is stored, or None for an empty store.

    Without ``now`` (or with no busy channel still writing) it is the newest minute of
    any channel, the store-wide watermark. Busy channels silent for ``STALL_WAIT`` are
    left out: they are down, and ``judged_through`` treats the store as stalled anyway.
    """
    newest = session.scalar(select(func.max(MinuteRollup.minute)))
    if newest is None:
        return None
    if now is None:
        return floor_minute(newest)
    rows = session.execute(
        select(MinuteRollup.channel_id, func.max(MinuteRollup.minute), func.sum(MinuteRollup.count))
        .where(MinuteRollup.subject_id == ALL_POSTS, MinuteRollup.minute >= now - BUSY_WINDOW)
        .group_by(MinuteRollup.channel_id)
    ).all()
    minutes = BUSY_WINDOW.total_seconds() / 60
    live = [
        floor_minute(last)
        for _, last, count in rows
        if int(count or 0) / minutes >= BUSY_RATE and floor_minute(last) >= now - STALL_WAIT
    ]
    return min(live) if live else floor_minute(newest)


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
