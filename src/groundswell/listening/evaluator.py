"""Spike evaluation at each closed minute: rollups → detector → anomalies → alerts.

A minute *closes* ``GRACE`` (20 s) after it ends: posts are stored a little after they
are written (queues, batching, a network's own delay), so judging a minute the moment
it ends would judge it half counted. Minute ``10:04`` is judged from ``10:05:20``.

Per tick, for every active subject and for all posts together (``ALL_POSTS``), the
minutes after the detector's ``last_minute`` up to the last closed one are read with
one query for all subjects (counts summed over channels and labels), fed in order with
missing minutes as zero counts, and the detector's state is saved once per subject
(metric ``"all"``, channel 0). A subject seen for the first time learns from the
store's earliest rollup (at most ``MAX_HISTORY`` back) so its baseline starts informed:
minutes without posts about it while posts were being collected are real zeros, and a
rarely mentioned subject must not sit in the detector's warm-up for a day.

The work is split in two so SQLite's single writer is held briefly: detection runs on
reads only; then the write phase takes the write lock, checks that no other evaluator
moved the states meanwhile (else it gives the tick up), and stores states, anomalies,
alerts and their deliveries in the caller's one transaction. On PostgreSQL an advisory
lock keeps evaluators from working the same tick at all.

Feeding many minutes in one tick gives exactly what feeding them one tick at a time
gives, so ``evaluate(..., act_on_history=True)`` over history is the backfill.

History that arrives *behind* a young detector (the demo's day of history loading behind
the live replay, an import of past posts after a subject was created) was a gap when its
minutes were judged. A detector still in its warm-up that has learned clearly fewer
minutes than the store now holds before its last minute relearns from the store's
earliest rollup, like a new subject, and acts only on minutes it has not judged before;
otherwise it would sit blind in warm-up for a day beside a day of stored history.

Only complete minutes are judged (``listening.watermark``): a closed minute waits until
the pipeline has stored a post written after it (the ingest watermark), so a pipeline
that is behind (loading a backlog, restarting) is not mistaken for silence. When
nothing newer arrives for ``STALL_WAIT`` the minutes are judged anyway, and a minute in
which no post at all was stored is a *gap* (system down, loading, every connector
failing): the detector steps over it without learning from it, nothing is alerted on
it, nor on a drop whose window still reaches back into a gap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from groundswell.core.clock import floor_minute
from groundswell.core.upsert import dialect_insert
from groundswell.listening.alerts.lifecycle import (
    AlertBook,
    DetectionLike,
    LifecycleParams,
    LifecycleReport,
)
from groundswell.listening.alerts.models import DetectorState
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.listening.spikes import (
    STATE_METRIC,
    DetectorParams,
    MinutePoint,
    SpikeDetector,
    evaluate_many,
)
from groundswell.listening.watermark import (
    STALL_WAIT,
    gap_minutes,
    ingest_watermark,
    judged_through,
    near_gap,
)

log = logging.getLogger(__name__)

MINUTE = timedelta(minutes=1)
GRACE = timedelta(seconds=20)
MAX_HISTORY = timedelta(days=14)
ALL_CHANNELS = 0
RELEARN_MARGIN = 60
"""How many more stored minutes than it has learned make a young detector relearn: more
than the few minutes that may be judged before a late post is stored (``STALL_WAIT``)."""
_PG_LOCK_KEY = 0x67735F6576616C  # "gs_eval"


def last_closed_minute(now: datetime, grace: timedelta = GRACE) -> datetime:
    """The newest minute whose posts are all in: it ended at least ``grace`` ago."""
    return floor_minute(now - MINUTE - grace)


@dataclass
class EvaluationReport:
    last_closed: datetime | None = None
    subjects: int = 0
    minutes: int = 0
    judged_through: datetime | None = None
    """The newest minute judged: ``last_closed``, or earlier while the pipeline catches up."""
    gaps: int = 0
    """Minutes judged in this tick that had no post at all (never alerted on)."""
    skipped: str | None = None
    """Why nothing was written: another evaluator holds the tick or moved the states."""
    lifecycle: LifecycleReport = field(default_factory=LifecycleReport)


@dataclass
class _Plan:
    subject_id: int
    detector: SpikeDetector
    start: datetime
    act_from: datetime
    known_last: datetime | None
    """``last_minute`` as read, to detect another evaluator having moved on."""
    found: dict[datetime, list[DetectionLike]] = field(default_factory=dict)


def _try_lock(session: Session) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        got = session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        return bool(got)
    return True


def _take_write_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE detector_states SET version = version WHERE 1 = 0"))


def _subject_ids(session: Session, subject_ids: list[int] | None) -> list[int]:
    if subject_ids is not None:
        return sorted(set(subject_ids))
    active = session.scalars(select(Subject.id).where(Subject.active.is_(True))).all()
    return [ALL_POSTS, *sorted(active)]


def _states(session: Session, ids: list[int]) -> dict[int, DetectorState]:
    rows = session.scalars(
        select(DetectorState).where(
            DetectorState.subject_id.in_(ids),
            DetectorState.metric == STATE_METRIC,
            DetectorState.channel_id == ALL_CHANNELS,
        )
    )
    return {r.subject_id: r for r in rows}


def _earliest(session: Session, ids: list[int], since: datetime) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = session.execute(
        select(MinuteRollup.subject_id, func.min(MinuteRollup.minute))
        .where(MinuteRollup.subject_id.in_(ids), MinuteRollup.minute >= since)
        .group_by(MinuteRollup.subject_id)
    ).all()
    return {sid: floor_minute(m) for sid, m in rows if m is not None}


def _history_behind(
    session: Session,
    states: dict[int, DetectorState],
    detectors: dict[int, SpikeDetector],
    floor: datetime,
) -> set[int]:
    """Young detectors that learned clearly fewer minutes than are stored before their
    last minute: history arrived behind them (see the module's docstring)."""
    young = {
        sid: states[sid].last_minute
        for sid, detector in detectors.items()
        if detector.minutes_seen < detector.params.warmup_minutes
    }
    enough: dict[datetime, int] = {}
    for sid, last in young.items():
        need = detectors[sid].minutes_seen + RELEARN_MARGIN + 1
        enough[last] = max(enough.get(last, 0), need)
    stored = {
        last: _minutes_with_posts(session, floor, last, up_to=n) for last, n in enough.items()
    }
    behind = {
        sid
        for sid, last in young.items()
        if stored[last] > detectors[sid].minutes_seen + RELEARN_MARGIN
    }
    if behind:
        log.info("relearning %d young detectors: history arrived behind them", len(behind))
    return behind


def _minutes_with_posts(session: Session, start: datetime, end: datetime, *, up_to: int) -> int:
    """Minutes in ``[start, end]`` in which any post was stored (the rest are gaps), counted
    from ``end`` backwards and no further than ``up_to``: a young detector has learned
    less than a day, so the scan stops after about a day of minutes however long the
    stored history is."""
    newest = (
        select(MinuteRollup.minute)
        .where(
            MinuteRollup.subject_id == ALL_POSTS,
            MinuteRollup.minute >= start,
            MinuteRollup.minute <= end,
            MinuteRollup.count > 0,
        )
        .distinct()
        .order_by(MinuteRollup.minute.desc())
        .limit(up_to)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(newest)) or 0)


def _plans(
    session: Session,
    ids: list[int],
    *,
    last_closed: datetime,
    learn_before: datetime,
    detector_params: DetectorParams | None,
) -> list[_Plan]:
    floor = last_closed - MAX_HISTORY
    states = _states(session, ids)
    plans: list[_Plan] = []
    fresh: list[tuple[int, datetime | None]] = []
    detectors: dict[int, SpikeDetector] = {}
    for sid in ids:
        row = states.get(sid)
        if row is not None and row.state:
            try:
                detectors[sid] = SpikeDetector.from_state(row.state, detector_params)
            except (ValueError, TypeError, KeyError):
                log.warning("detector state of subject %d is unusable; relearning", sid)
    behind = _history_behind(session, states, detectors, floor)
    for sid in ids:
        row = states.get(sid)
        detector = detectors.get(sid)
        if sid in behind:
            detector = None
        if detector is not None and row is not None:
            start = max(row.last_minute + MINUTE, floor)
            if start <= last_closed:
                plans.append(_Plan(sid, detector, start, start, row.last_minute))
        else:
            fresh.append((sid, row.last_minute if row is not None else None))
    earliest = _earliest(session, [ALL_POSTS, *(sid for sid, _ in fresh)], floor)
    since = earliest.get(ALL_POSTS)
    for sid, known_last in fresh:
        start = min(since or earliest.get(sid, last_closed), earliest.get(sid, last_closed))
        start = min(start, last_closed)
        # Relearning a subject acts only on minutes it has not judged before; a new one
        # acts from ``learn_before`` on, so its history teaches without paging anyone.
        act_from = known_last + MINUTE if known_last is not None else max(start, learn_before)
        plans.append(_Plan(sid, SpikeDetector(detector_params), start, act_from, known_last))
    return plans


def _counts(
    session: Session, plans: list[_Plan], last_closed: datetime
) -> dict[tuple[int, datetime], tuple[int, int, int]]:
    """One query for every subject's new minutes: (total, negative, positive) per minute."""
    by_start: dict[datetime, list[int]] = {}
    for plan in plans:
        by_start.setdefault(plan.start, []).append(plan.subject_id)
    negative = case((MinuteRollup.sentiment_label == "negative", MinuteRollup.count), else_=0)
    positive = case((MinuteRollup.sentiment_label == "positive", MinuteRollup.count), else_=0)
    stmt = (
        select(
            MinuteRollup.subject_id,
            MinuteRollup.minute,
            func.sum(MinuteRollup.count),
            func.sum(negative),
            func.sum(positive),
        )
        .where(
            MinuteRollup.minute <= last_closed,
            or_(
                *(
                    and_(MinuteRollup.subject_id.in_(sids), MinuteRollup.minute >= start)
                    for start, sids in by_start.items()
                )
            ),
        )
        .group_by(MinuteRollup.subject_id, MinuteRollup.minute)
    )
    out: dict[tuple[int, datetime], tuple[int, int, int]] = {}
    for row in session.execute(stmt):
        sid, minute, total, neg, pos = cast(tuple[int, datetime, int, int, int], tuple(row))
        out[(sid, floor_minute(minute))] = (int(total or 0), int(neg or 0), int(pos or 0))
    return out


def _detect(
    plans: list[_Plan],
    counts: dict[tuple[int, datetime], tuple[int, int, int]],
    end: datetime,
    gaps: frozenset[datetime] = frozenset(),
) -> int:
    """Feed every plan its minutes in order, all series of one minute in one step.

    ``evaluate_many`` stacks the detectors of one minute into one vectorised step, which
    gives the same detections as ``update`` one by one at a fraction of the cost; that
    matters when new subjects learn days of history in one tick.
    """
    plans = sorted(plans, key=lambda p: p.start)
    minute, fed, live = plans[0].start, 0, 0
    while minute <= end:
        while live < len(plans) and plans[live].start <= minute:
            live += 1
        group = plans[:live]
        if minute in gaps:
            for plan in group:
                plan.detector.skip_to(minute)
            minute += MINUTE
            continue
        points = [
            MinutePoint(minute, *counts.get((p.subject_id, minute), (0, 0, 0))) for p in group
        ]
        for plan, found in zip(
            group, evaluate_many([p.detector for p in group], points), strict=True
        ):
            if found and minute >= plan.act_from:
                kept: list[DetectionLike] = [d for d in found if not near_gap(d, gaps)]
                if kept:
                    plan.found[minute] = kept
        fed += len(group)
        minute += MINUTE
    return fed


def _moved(session: Session, plans: list[_Plan]) -> bool:
    now_last = {
        sid: row.last_minute for sid, row in _states(session, [p.subject_id for p in plans]).items()
    }
    return any(now_last.get(p.subject_id) != p.known_last for p in plans)


def _save_state(session: Session, plan: _Plan, last_closed: datetime) -> None:
    values: dict[str, Any] = {
        "subject_id": plan.subject_id,
        "metric": STATE_METRIC,
        "channel_id": ALL_CHANNELS,
        "last_minute": last_closed,
        "state": plan.detector.to_state(),
        "version": SpikeDetector.VERSION,
    }
    stmt = dialect_insert(session, DetectorState.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject_id", "metric", "channel_id"],
        set_={k: stmt.excluded[k] for k in ("last_minute", "state", "version")},
    )
    session.execute(stmt, values)


def evaluate(
    session: Session,
    *,
    now: datetime,
    subject_ids: list[int] | None = None,
    lifecycle: LifecycleParams | None = None,
    detector_params: DetectorParams | None = None,
    act_on_history: bool = False,
    stall_wait: timedelta = STALL_WAIT,
) -> EvaluationReport:
    """Judge every minute closed since the last tick; the caller commits.

    ``stall_wait`` is how long a closed minute waits for the ingest watermark to pass
    it before it is judged anyway. ``subject_ids`` limits the tick to those subjects
    (default: all active ones and ``ALL_POSTS``). With ``act_on_history`` a subject's
    first sight acts on its whole history (a backfill); otherwise only minutes inside the
    notification window do.
    """
    lifecycle = lifecycle or LifecycleParams()
    closed = last_closed_minute(now)
    report = EvaluationReport(last_closed=closed)
    if not _try_lock(session):
        report.skipped = "another evaluator holds this tick"
        return report
    last_closed = judged_through(
        closed, ingest_watermark(session, now=now), now=now, stall_wait=stall_wait
    )
    report.judged_through = last_closed
    ids = _subject_ids(session, subject_ids)
    window_start = floor_minute(now - lifecycle.notify_window)
    learn_before = last_closed - MAX_HISTORY if act_on_history else window_start
    plans = _plans(
        session,
        ids,
        last_closed=last_closed,
        learn_before=learn_before,
        detector_params=detector_params,
    )
    if not plans:
        return report
    plans = [p for p in plans if p.start <= last_closed]
    if not plans:
        return report
    counts = _counts(session, plans, last_closed)
    gaps = gap_minutes(session, min(p.start for p in plans), last_closed)
    report.gaps = len(gaps)
    report.minutes = _detect(plans, counts, last_closed, gaps)
    report.subjects = len(plans)

    _take_write_lock(session)
    if _moved(session, plans):
        report.skipped = "another evaluator moved the detector states"
        return report
    book = AlertBook(session, now=now, params=lifecycle)
    for plan in plans:
        minute = plan.act_from
        while minute <= last_closed:
            book.observe(plan.subject_id, minute, plan.found.get(minute, ()))
            minute += MINUTE
        _save_state(session, plan, last_closed)
    report.lifecycle = book.finish(last_closed)
    return report


def relearn_subject(session: Session, *, subject_id: int) -> None:
    """Make the next tick rebuild a subject's baseline from its rollups.

    For when its history changed (the query was edited and posts re-matched). The state
    is blanked, not deleted, so the minutes already judged are not judged again.
    """
    row = session.get(DetectorState, (subject_id, STATE_METRIC, ALL_CHANNELS))
    if row is not None:
        row.state = {}
        session.flush()
