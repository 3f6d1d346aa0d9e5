"""What moved: volume and sentiment against the seasonal baseline, alerts, share of voice.

Read from listening's per-minute rollups only (never the posts), grouped by hour in SQL,
so a day of a million posts is a few thousand rows summed by the database. The seasonal
baseline is the same period one to four weeks before (same weekday, same hours), so a
quiet Sunday is compared with Sundays.

Like is compared with like: while a period is not over, its figures are compared with
the same span of the earlier weeks (Saturday until 08:48 against earlier Saturdays until
08:48), not with their whole day, which would make every morning look like a collapse.
A week counts towards the baseline only if it holds at least ``MIN_BASELINE_POSTS`` posts
in that span: a share or a change measured on a handful of posts is noise, and saying
"+27,000 % against 28 posts" helps nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.analytics.digest.period import Period
from groundswell.analytics.digest.schemas import AlertLine, Figure, Moved, VoiceLine
from groundswell.listening.alerts.models import Alert
from groundswell.listening.alerts.outbox import alert_metrics
from groundswell.listening.models import MinuteRollup, Subject
from groundswell.listening.series import bucket_epoch

BASELINE_WEEKS = 4
MIN_BASELINE_POSTS = 30
"""Posts a week needs in the compared span to count: with 30, a share such as the
negative share is known to within about ±15 points (95 %), enough to call a move."""
HOUR = 3600
MAX_ALERT_LINES = 5
MAX_VOICES = 6


@dataclass(slots=True)
class Hourly:
    """Per-hour counts of one period, by label."""

    negative: list[int]
    neutral: list[int]
    positive: list[int]
    score: list[float] = field(default_factory=list)

    @property
    def volume(self) -> list[int]:
        return [
            a + b + c for a, b, c in zip(self.negative, self.neutral, self.positive, strict=True)
        ]

    @property
    def total(self) -> int:
        return sum(self.negative) + sum(self.neutral) + sum(self.positive)


def hours_of(start: datetime, end: datetime) -> int:
    return max(1, int((end - start).total_seconds()) // HOUR)


def read_hourly(session: Session, subject_id: int, start: datetime, end: datetime) -> Hourly:
    """One grouped query: hour × label sums of the subject's rollup rows in the range."""
    n = hours_of(start, end)
    out = Hourly([0] * n, [0] * n, [0] * n, [0.0] * n)
    bucket = bucket_epoch(session, HOUR)
    rows = session.execute(
        select(
            bucket,
            MinuteRollup.sentiment_label,
            func.sum(MinuteRollup.count),
            func.sum(MinuteRollup.sentiment_sum),
        )
        .where(
            MinuteRollup.subject_id == subject_id,
            MinuteRollup.minute >= start,
            MinuteRollup.minute < end,
        )
        .group_by(bucket, MinuteRollup.sentiment_label)
    ).all()
    first = int(start.timestamp())
    columns = {"negative": out.negative, "positive": out.positive}
    for epoch, label, count, score in rows:
        i = (int(epoch) - first) // HOUR
        if 0 <= i < n:
            columns.get(str(label), out.neutral)[i] += int(count or 0)
            out.score[i] += float(score or 0.0)
    return out


def relative(value: float | None, baseline: float | None) -> float | None:
    if value is None or baseline is None or baseline == 0:
        return None
    return round((value - baseline) / abs(baseline), 4)


def figure(value: float | None, baseline: float | None) -> Figure:
    return Figure(value=value, baseline=baseline, change=relative(value, baseline))


def _ratio(num: float, den: int) -> float | None:
    return round(num / den, 4) if den else None


@dataclass(frozen=True, slots=True)
class Totals:
    """Posts by label over one span."""

    negative: int
    neutral: int
    positive: int

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive


def read_totals(session: Session, subject_id: int, start: datetime, end: datetime) -> Totals:
    """One grouped query: the subject's posts by label in ``[start, end)``, to the minute."""
    rows = session.execute(
        select(MinuteRollup.sentiment_label, func.sum(MinuteRollup.count))
        .where(
            MinuteRollup.subject_id == subject_id,
            MinuteRollup.minute >= start,
            MinuteRollup.minute < end,
        )
        .group_by(MinuteRollup.sentiment_label)
    ).all()
    by = {str(label): int(count or 0) for label, count in rows}
    neutral = sum(v for k, v in by.items() if k not in ("negative", "positive"))
    return Totals(by.get("negative", 0), neutral, by.get("positive", 0))


@dataclass(slots=True)
class Seasonal:
    current: Hourly
    history: list[Hourly]
    """The same period 1..N weeks before: those that count towards the baseline."""
    compared: Totals = field(default_factory=lambda: Totals(0, 0, 0))
    """This period's posts up to the cut (now, or its end)."""
    compared_history: list[Totals] = field(default_factory=list)
    """The same span of each week in ``history``, in the same order."""
    thin_weeks: int = 0
    """Earlier weeks with some posts in the span, but too few to count."""
    partial: bool = False
    """The period is not over: the comparison stops at the same time of day or week."""

    def baseline_hourly(self) -> list[float | None]:
        n = len(self.current.negative)
        if not self.history:
            return [None] * n
        out: list[float | None] = []
        for i in range(n):
            values = [h.volume[i] for h in self.history if i < len(h.negative)]
            out.append(round(sum(values) / len(values), 2) if values else None)
        return out


def seasonal(
    session: Session, subject_id: int, period: Period, now: datetime | None = None
) -> Seasonal:
    """This period and the earlier weeks that count, compared up to ``now`` if not over."""
    cut = period.end if now is None else max(period.start, min(period.end, now))
    current = read_hourly(session, subject_id, period.start, period.end)
    compared = read_totals(session, subject_id, period.start, cut)
    history: list[Hourly] = []
    compared_history: list[Totals] = []
    thin = 0
    for weeks in range(1, BASELINE_WEEKS + 1):
        back = timedelta(weeks=weeks)
        span = read_totals(session, subject_id, period.start - back, cut - back)
        if span.total >= MIN_BASELINE_POSTS:
            history.append(read_hourly(session, subject_id, period.start - back, period.end - back))
            compared_history.append(span)
        elif span.total:
            thin += 1
    return Seasonal(
        current=current,
        history=history,
        compared=compared,
        compared_history=compared_history,
        thin_weeks=thin,
        partial=cut < period.end,
    )


def sentiment_figures(s: Seasonal) -> tuple[Figure, Figure, Figure]:
    """Volume, negative share and net sentiment against the mean of the counted weeks."""
    cur = s.compared
    total = cur.total
    volume = float(total) if total else None
    neg = _ratio(cur.negative, total)
    net = _ratio(cur.positive - cur.negative, total)
    weeks = s.compared_history
    if not weeks:
        return figure(volume, None), figure(neg, None), figure(net, None)
    k = len(weeks)
    base_volume = round(sum(w.total for w in weeks) / k, 2)
    base_neg = round(sum(w.negative / w.total for w in weeks) / k, 4)
    base_net = round(sum((w.positive - w.negative) / w.total for w in weeks) / k, 4)
    return figure(volume, base_volume), figure(neg, base_neg), figure(net, base_net)


def baseline_label(s: Seasonal, period: Period) -> str:
    if not s.history:
        if s.thin_weeks:
            return (
                f"no earlier week to compare with (fewer than {MIN_BASELINE_POSTS} posts "
                f"in the same hours of each of the previous {BASELINE_WEEKS} weeks)"
            )
        return "no earlier data to compare with"
    what = (
        f"same weekday of the previous {len(s.history)} week"
        if period.kind == "day"
        else (f"previous {len(s.history)} week")
    )
    what += "s" if len(s.history) > 1 else ""
    return what + (", up to the same time" if s.partial else "")


def alerts_opened(session: Session, subject_id: int, period: Period) -> tuple[list[Alert], int]:
    where = (
        Alert.subject_id == subject_id,
        Alert.started_at >= period.start,
        Alert.started_at < period.end,
    )
    total = int(session.scalar(select(func.count()).select_from(Alert).where(*where)) or 0)
    rows = session.scalars(
        select(Alert)
        .where(*where)
        .order_by(Alert.severity.desc(), Alert.started_at)
        .limit(MAX_ALERT_LINES)
    ).all()
    return list(rows), total


def alert_line(alert: Alert, summary: str | None) -> AlertLine:
    return AlertLine(
        id=alert.id,
        metric=" + ".join(alert_metrics(alert)),  # "volume + negative": one alert per burst
        severity=alert.severity,
        status=alert.status,
        started_at=alert.started_at,
        summary=summary or alert.summary or f"{alert.metric} spike",
    )


def _volumes(
    session: Session, ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    rows = session.execute(
        select(MinuteRollup.subject_id, func.sum(MinuteRollup.count))
        .where(
            MinuteRollup.subject_id.in_(ids),
            MinuteRollup.minute >= start,
            MinuteRollup.minute < end,
        )
        .group_by(MinuteRollup.subject_id)
    ).all()
    found = dict.fromkeys(ids, 0)
    for sid, count in rows:
        found[int(sid)] = int(count or 0)
    return found


def share_of_voice(session: Session, subject: Subject, period: Period) -> list[VoiceLine]:
    """The brand against the active competitors (and other brands), this and last period."""
    others = session.scalars(
        select(Subject)
        .where(
            Subject.active.is_(True),
            Subject.kind.in_(("brand", "competitor")),
            Subject.id != subject.id,
        )
        .order_by(Subject.name)
    ).all()
    subjects = [subject, *others]
    ids = [s.id for s in subjects]
    prev = period.previous()
    now_v = _volumes(session, ids, period.start, period.end)
    before = _volumes(session, ids, prev.start, prev.end)
    total, total_before = sum(now_v.values()), sum(before.values())
    lines = [
        VoiceLine(
            subject_id=s.id,
            name=s.name,
            kind=s.kind,
            volume=now_v[s.id],
            share=_ratio(now_v[s.id], total),
            previous_share=_ratio(before[s.id], total_before),
        )
        for s in subjects
    ]
    head, rest = lines[:1], sorted(lines[1:], key=lambda v: -v.volume)
    return head + rest[: MAX_VOICES - 1]


def moved(
    session: Session,
    subject: Subject,
    period: Period,
    summaries: dict[int, str],
    s: Seasonal,
    alerts: list[Alert],
    alerts_total: int,
) -> Moved:
    volume, negative, net = sentiment_figures(s)
    return Moved(
        volume=volume,
        negative_share=negative,
        net_sentiment=net,
        baseline_label=baseline_label(s, period),
        hourly_volume=s.current.volume,
        hourly_baseline=s.baseline_hourly(),
        alerts=[alert_line(a, summaries.get(a.id)) for a in alerts],
        alerts_total=alerts_total,
        share_of_voice=share_of_voice(session, subject, period),
    )
