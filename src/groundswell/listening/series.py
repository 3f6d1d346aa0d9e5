"""Volume and sentiment series, and share of voice, read from ``minute_rollups``.

Never scans posts: one grouped query over the rollup rows of the range, bucketed in SQL
(epoch seconds integer-divided by the bucket width, which both engines do alike), then
zero-filled in Python so a chart gets one point per bucket, quiet ones included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, extract, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from groundswell.channels.models import Channel
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.alerts.models import Anomaly
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.listening.series_schemas import (
    Series,
    SeriesTotals,
    SeriesWindow,
    ShareOfVoice,
    SpikeMark,
    VoiceShare,
)

ALL_POSTS_NAME = "All posts"
GAP_MIN_RATE = 4.6
"""A store-wide empty bucket is a gap (no data) when the store's usual bucket holds more
posts than this: under Poisson counts the chance of a genuinely silent bucket is then
below 1 % (e^-4.6), so the silence says the system was down, loading or cut off."""
MAX_SPIKES = 2000
"""Marks beyond this many in one range would cover the chart; the strongest are kept."""


def bucket_epoch(session: Session, step: int) -> ColumnElement[int]:
    """The bucket of ``minute_rollups.minute`` as Unix seconds, for either engine."""
    minute = MinuteRollup.minute
    if session.get_bind().dialect.name == "sqlite":
        seconds: ColumnElement[int] = cast(func.strftime("%s", minute), Integer)
    else:
        seconds = cast(extract("epoch", minute), BigInteger)
    return (seconds - seconds % step).label("bucket")


def channel_id_of(session: Session, channel: str | None) -> int | None:
    """The id of a channel key; an unknown key is an error, not an empty chart."""
    if channel is None:
        return None
    found = session.scalar(select(Channel.id).where(Channel.key == channel))
    if found is None:
        raise InvalidInputError(f"unknown channel {channel[:64]!r}", field="channel")
    return int(found)


def subject_name(session: Session, subject_id: int) -> str:
    if subject_id == ALL_POSTS:
        return ALL_POSTS_NAME
    name = session.scalar(select(Subject.name).where(Subject.id == subject_id))
    if name is None:
        raise NotFoundError("subject", subject_id)
    return str(name)


def _rollup_rows(
    session: Session,
    *,
    subject_ids: Sequence[int],
    window: SeriesWindow,
    channel_id: int | None,
    by_label: bool,
) -> list[Any]:
    bucket = bucket_epoch(session, window.step_seconds)
    columns: list[Any] = [MinuteRollup.subject_id, bucket]
    if by_label:
        columns.append(MinuteRollup.sentiment_label)
    stmt = (
        select(
            *columns,
            func.sum(MinuteRollup.count),
            func.sum(MinuteRollup.sentiment_sum),
        )
        .where(
            MinuteRollup.subject_id.in_(subject_ids)
            if len(subject_ids) != 1
            else MinuteRollup.subject_id == subject_ids[0],
            MinuteRollup.minute >= window.start,
            MinuteRollup.minute < window.end,
        )
        .group_by(*columns)
    )
    if channel_id is not None:
        stmt = stmt.where(MinuteRollup.channel_id == channel_id)
    return list(session.execute(stmt).all())


@dataclass(slots=True)
class Columns:
    """Zero-filled per-bucket counts and score sums, one list per measure."""

    negative: list[int]
    neutral: list[int]
    positive: list[int]
    score_sum: list[float]

    def volume(self) -> list[int]:
        return [
            a + b + c for a, b, c in zip(self.negative, self.neutral, self.positive, strict=True)
        ]


def build_columns(window: SeriesWindow, rows: Iterable[tuple[int, str, int, float]]) -> Columns:
    """Fill per-bucket columns from ``(bucket epoch, label, count, score sum)`` rows (pure)."""
    n, step, first = window.buckets, window.step_seconds, int(window.start.timestamp())
    cols = Columns([0] * n, [0] * n, [0] * n, [0.0] * n)
    by_label = {"negative": cols.negative, "neutral": cols.neutral, "positive": cols.positive}
    for epoch, label, count, total in rows:
        i = (int(epoch) - first) // step
        if not 0 <= i < n:
            continue
        target = by_label.get(label, cols.neutral)
        target[i] += int(count or 0)
        cols.score_sum[i] += float(total or 0.0)
    return cols


def _ratio(num: float, den: int) -> float | None:
    return round(num / den, 4) if den else None


def totals_of(cols: Columns) -> SeriesTotals:
    neg, neu, pos = sum(cols.negative), sum(cols.neutral), sum(cols.positive)
    volume = neg + neu + pos
    return SeriesTotals(
        volume=volume,
        negative=neg,
        neutral=neu,
        positive=pos,
        net_sentiment=_ratio(pos - neg, volume),
        mean_score=_ratio(sum(cols.score_sum), volume),
    )


def spikes_in(session: Session, *, subject_id: int, window: SeriesWindow) -> list[SpikeMark]:
    """Anomalies the detector recorded for the subject inside the range, by minute."""
    rows = session.scalars(
        select(Anomaly)
        .where(
            Anomaly.subject_id == subject_id,
            Anomaly.minute >= window.start,
            Anomaly.minute < window.end,
        )
        .order_by(Anomaly.severity.desc(), Anomaly.minute)
        .limit(MAX_SPIKES)
    ).all()
    marks = [
        SpikeMark(
            minute=a.minute,
            metric=a.metric,
            severity=a.severity,
            expected=a.expected,
            observed=a.observed,
            alert_id=a.alert_id,
        )
        for a in rows
    ]
    return sorted(marks, key=lambda m: (m.minute, m.metric))


def store_volumes(session: Session, window: SeriesWindow) -> list[int]:
    """Every stored post per bucket, whatever its subject or channel (the ``ALL_POSTS`` rows)."""
    bucket = bucket_epoch(session, window.step_seconds)
    stmt = (
        select(bucket, func.sum(MinuteRollup.count))
        .where(
            MinuteRollup.subject_id == ALL_POSTS,
            MinuteRollup.minute >= window.start,
            MinuteRollup.minute < window.end,
        )
        .group_by(bucket)
    )
    volumes = [0] * window.buckets
    first, step = int(window.start.timestamp()), window.step_seconds
    for epoch, count in session.execute(stmt):
        i = (int(epoch) - first) // step
        if 0 <= i < window.buckets:
            volumes[i] += int(count or 0)
    return volumes


MIN_FILLED = 3


def gap_buckets(store: Sequence[int], *, min_rate: float = GAP_MIN_RATE) -> list[bool]:
    """Which buckets are gaps: nothing at all was stored while the store is usually busy.

    The store's usual bucket is the median of its non-empty buckets in the range, so an
    outage does not lower the bar it is judged by; fewer than ``MIN_FILLED`` of them say
    too little about the usual. A quiet store (a post now and then) has no gaps: its
    empty buckets are plausible silence, shown as zeros (pure).
    """
    filled = sorted(v for v in store if v > 0)
    if len(filled) < MIN_FILLED or filled[len(filled) // 2] <= min_rate:
        return [False] * len(store)
    return [v == 0 for v in store]


def subject_series(
    session: Session, *, subject_id: int, window: SeriesWindow, channel: str | None = None
) -> Series:
    """Per-bucket volume by sentiment and net sentiment of one subject (0: all posts)."""
    name = subject_name(session, subject_id)
    channel_id = channel_id_of(session, channel)
    rows = _rollup_rows(
        session, subject_ids=[subject_id], window=window, channel_id=channel_id, by_label=True
    )
    cols = build_columns(window, ((r[1], r[2], r[3], r[4]) for r in rows))
    volume = cols.volume()
    return Series(
        subject_id=subject_id,
        subject_name=name,
        channel=channel,
        resolution=window.resolution,
        step_seconds=window.step_seconds,
        start=window.start,
        end=window.end,
        t=window.bucket_starts(),
        volume=volume,
        negative=cols.negative,
        neutral=cols.neutral,
        positive=cols.positive,
        net_sentiment=[
            _ratio(p - q, v) for p, q, v in zip(cols.positive, cols.negative, volume, strict=True)
        ],
        mean_score=[_ratio(x, v) for x, v in zip(cols.score_sum, volume, strict=True)],
        totals=totals_of(cols),
        spikes=spikes_in(session, subject_id=subject_id, window=window),
        gaps=gap_buckets(store_volumes(session, window)),
    )


def voice_subjects(
    session: Session, *, subject_ids: Sequence[int] | None, kinds: Sequence[str] | None
) -> list[Subject]:
    """The subjects to compare: the ids asked for, else those of ``kinds``, else brands
    and competitors, else every active subject."""
    if subject_ids:
        found = list(session.scalars(select(Subject).where(Subject.id.in_(subject_ids))))
        missing = sorted(set(subject_ids) - {s.id for s in found})
        if missing:
            raise InvalidInputError(
                "unknown subject id(s): " + ", ".join(map(str, missing)), field="subject_ids"
            )
        return sorted(found, key=lambda s: subject_ids.index(s.id))
    stmt = select(Subject).where(Subject.active.is_(True)).order_by(Subject.name, Subject.id)
    if kinds:
        return list(session.scalars(stmt.where(Subject.kind.in_(kinds))))
    chosen = list(session.scalars(stmt.where(Subject.kind.in_(("brand", "competitor")))))
    return chosen or list(session.scalars(stmt))


def _exact_totals(
    session: Session, *, subject_ids: Sequence[int], window: SeriesWindow, channel_id: int | None
) -> dict[int, int]:
    stmt = (
        select(MinuteRollup.subject_id, func.sum(MinuteRollup.count))
        .where(
            MinuteRollup.subject_id.in_(subject_ids),
            MinuteRollup.minute >= window.start,
            MinuteRollup.minute < window.end,
        )
        .group_by(MinuteRollup.subject_id)
    )
    if channel_id is not None:
        stmt = stmt.where(MinuteRollup.channel_id == channel_id)
    totals = dict.fromkeys(subject_ids, 0)
    for sid, count in session.execute(stmt):
        totals[int(sid)] = int(count or 0)
    return totals


def share_of_voice(
    session: Session,
    *,
    window: SeriesWindow,
    subject_ids: Sequence[int] | None = None,
    kinds: Sequence[str] | None = None,
    channel: str | None = None,
    counted: SeriesWindow | None = None,
) -> ShareOfVoice:
    """Each chosen subject's volume over the range and per bucket, with its share.

    ``counted`` is the range the volumes and shares count, when it is finer than the
    buckets: the buckets of ``window`` are aligned to its resolution (a 24 h range in
    hourly buckets spans 25 hours), so counting them would not give the Posts figure of
    the same subject and range, which is read to the minute.
    """
    subjects = voice_subjects(session, subject_ids=subject_ids, kinds=kinds)
    channel_id = channel_id_of(session, channel)
    starts = window.bucket_starts()
    index = {int(t.timestamp()): i for i, t in enumerate(starts)}
    volumes: dict[int, list[int]] = {s.id: [0] * len(starts) for s in subjects}
    if subjects:
        rows = _rollup_rows(
            session,
            subject_ids=[s.id for s in subjects],
            window=window,
            channel_id=channel_id,
            by_label=False,
        )
        for subject_id, epoch, count, _ in rows:
            volumes[int(subject_id)][index[int(epoch)]] += int(count or 0)
    totals = {sid: sum(v) for sid, v in volumes.items()}
    if subjects and counted is not None:
        totals = _exact_totals(
            session, subject_ids=[s.id for s in subjects], window=counted, channel_id=channel_id
        )
    total = sum(totals.values())
    return ShareOfVoice(
        channel=channel,
        resolution=window.resolution,
        start=window.start,
        end=window.end,
        total=total,
        buckets=starts,
        subjects=[
            VoiceShare(
                subject_id=s.id,
                name=s.name,
                kind=s.kind,
                volume=totals[s.id],
                share=round(totals[s.id] / total, 4) if total else None,
                volumes=volumes[s.id],
            )
            for s in subjects
        ],
    )
