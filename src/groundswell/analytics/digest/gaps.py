"""Incomplete data: what the page must say instead of showing a misleading zero.

A period with no rollup rows at all, a period not over yet, hours in which no post of
any subject arrived while that hour is usually busy (a connector was down), and
connectors that reported errors during the period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.analytics.digest.moved import Hourly, read_hourly
from groundswell.analytics.digest.period import Period, zone
from groundswell.channels.runtime.models import ChannelAccount, ChannelSource
from groundswell.listening.models import ALL_POSTS

BUSY_HOUR = 5.0
"""An hour whose baseline averages at least this many posts is expected to have some."""
MAX_GAP_LINES = 3


def silent_hours(everything: Hourly, baseline: list[float | None]) -> list[tuple[int, int]]:
    """Runs ``[first, last]`` of hours with no post at all that usually have some (pure)."""
    runs: list[tuple[int, int]] = []
    for i, count in enumerate(everything.volume):
        expected = baseline[i] if i < len(baseline) else None
        if count or expected is None or expected < BUSY_HOUR:
            continue
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _hhmm(at: datetime, tz: str) -> str:
    return at.astimezone(zone(tz)).strftime("%a %H:%M")


def gaps(
    session: Session,
    period: Period,
    *,
    now: datetime,
    subject_total: int,
    baseline: list[float | None],
) -> list[str]:
    notes: list[str] = []
    if period.start >= now:
        return ["This period has not started yet: there is nothing to report."]
    if period.end > now:
        notes.append(
            f"This period is not over: figures run to {_hhmm(now, period.tz)} ({period.tz})."
        )
    everything = read_hourly(session, ALL_POSTS, period.start, min(period.end, now))
    if everything.total == 0:
        notes.append(
            "No posts at all were recorded in this period: connectors were down or the "
            "data is not loaded, so volumes and sentiment below are unknown, not zero."
        )
    elif subject_total == 0:
        notes.append("No post matched this brand in the period (other subjects had posts).")
    else:
        for first, last in silent_hours(everything, baseline)[:MAX_GAP_LINES]:
            a = period.start + timedelta(hours=first)
            b = period.start + timedelta(hours=last + 1)
            notes.append(
                f"No posts at all from {_hhmm(a, period.tz)} to {_hhmm(b, period.tz)}, "
                "hours that usually have some: a connector was probably down, so those "
                "hours are missing, not quiet."
            )
    failing = session.execute(
        select(ChannelAccount.name, ChannelSource.name)
        .join(ChannelAccount, ChannelAccount.id == ChannelSource.account_id)
        .where(
            ChannelSource.last_error_at >= period.start, ChannelSource.last_error_at < period.end
        )
        .order_by(ChannelAccount.name)
        .limit(MAX_GAP_LINES)
    ).all()
    for account, source in failing:
        notes.append(f"Connector {account} ({source}) reported errors during this period.")
    return notes
