"""Volume and sentiment series, and share of voice, read from ``minute_rollups``.

Never scans posts: one grouped query over the rollup rows of the range, bucketed in SQL
(epoch seconds integer-divided by the bucket width, which both engines do alike), then
zero-filled in Python so a chart gets one point per bucket, quiet ones included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, extract, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from groundswell.channels.models import Channel
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.alert_models import Anomaly
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.listening.series_schemas import (
    Series,
    SeriesPoint,
    SeriesWindow,
    ShareOfVoice,
    SpikeMark,
    VoiceShare,
)

ALL_POSTS_NAME = "All posts"
MAX_SPIKES = 2000
"""Marks beyond this many in one range would cover the chart; the strongest are kept."""
LABELS = ("negative", "neutral", "positive")


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


def _point(t: datetime, counts: dict[str, int], score_sum: float) -> SeriesPoint:
    neg, neu, pos = (counts.get(label, 0) for label in LABELS)
    volume = sum(counts.values())
    return SeriesPoint(
        t=t,
        volume=volume,
        negative=neg,
        neutral=neu,
        positive=pos,
        net_sentiment=round((pos - neg) / volume, 4) if volume else None,
        mean_score=round(score_sum / volume, 4) if volume else None,
    )


def build_points(
    window: SeriesWindow, rows: Iterable[tuple[int, str, int, float]]
) -> list[SeriesPoint]:
    """Zero-filled points from ``(bucket epoch, label, count, score sum)`` rows (pure)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    sums: dict[int, float] = defaultdict(float)
    for epoch, label, count, total in rows:
        cell = counts[int(epoch)]
        cell[label] = cell.get(label, 0) + int(count or 0)
        sums[int(epoch)] += float(total or 0.0)
    points = []
    for t in window.bucket_starts():
        epoch = int(t.timestamp())
        points.append(_point(t, counts.get(epoch, {}), sums.get(epoch, 0.0)))
    return points


def totals_of(points: Sequence[SeriesPoint], t: datetime) -> SeriesPoint:
    counts = {
        "negative": sum(p.negative for p in points),
        "neutral": sum(p.neutral for p in points),
        "positive": sum(p.positive for p in points),
    }
    score_sum = sum((p.mean_score or 0.0) * p.volume for p in points)
    return _point(t, counts, score_sum)


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


def subject_series(
    session: Session, *, subject_id: int, window: SeriesWindow, channel: str | None = None
) -> Series:
    """Per-bucket volume by sentiment and net sentiment of one subject (0: all posts)."""
    name = subject_name(session, subject_id)
    channel_id = channel_id_of(session, channel)
    rows = _rollup_rows(
        session, subject_ids=[subject_id], window=window, channel_id=channel_id, by_label=True
    )
    points = build_points(window, ((r[1], r[2], r[3], r[4]) for r in rows))
    return Series(
        subject_id=subject_id,
        subject_name=name,
        channel=channel,
        resolution=window.resolution,
        start=window.start,
        end=window.end,
        totals=totals_of(points, window.start),
        points=points,
        spikes=spikes_in(session, subject_id=subject_id, window=window),
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


def share_of_voice(
    session: Session,
    *,
    window: SeriesWindow,
    subject_ids: Sequence[int] | None = None,
    kinds: Sequence[str] | None = None,
    channel: str | None = None,
) -> ShareOfVoice:
    """Each chosen subject's volume over the range and per bucket, with its share."""
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
