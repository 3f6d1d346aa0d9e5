"""Only complete minutes are judged: the ingest watermark, and gaps that never alert.

The demo loads its history behind the live replay, so the first ticks see a store with
the oldest history, then nothing for hours, then live posts; and while the pipeline is
busy, the newest closed minutes have no posts yet. Neither is the subjects' doing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.listening.alerts.lifecycle import LifecycleParams
from groundswell.listening.alerts.models import Alert, Anomaly, DetectorState
from groundswell.listening.alerts.outbox import alert_metrics
from groundswell.listening.evaluator import GRACE, EvaluationReport, evaluate
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.listening.spikes import STATE_METRIC
from groundswell.listening.watermark import judged_through

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def closing(minute: datetime) -> datetime:
    return minute + MINUTE + GRACE


def write(
    db: Database, subject_id: int, start: datetime, minutes: int, *, seed: int, channel: int = 1
) -> None:
    """About 16 posts a minute, all about the subject, as the remember stage counts them."""
    rng = random.Random(seed)
    rows: list[MinuteRollup] = []
    for i in range(minutes):
        minute = start + i * MINUTE
        counts = {"negative": rng.randint(2, 4), "neutral": rng.randint(8, 12), "positive": 2}
        for label, count in counts.items():
            for sid in (subject_id, ALL_POSTS):
                rows.append(
                    MinuteRollup(
                        minute=minute,
                        subject_id=sid,
                        channel_id=channel,
                        sentiment_label=label,
                        count=count,
                        sentiment_sum=0.0,
                    )
                )
    with db.session() as s:
        s.add_all(rows)


def tick(db: Database, now: datetime) -> EvaluationReport:
    with db.session() as s:
        return evaluate(
            s, now=now, lifecycle=LifecycleParams(quiet_minutes=10), act_on_history=True
        )


@pytest.fixture
def subject(db: Database) -> int:
    with db.session() as s:
        row = Subject(name="American", kind="brand", query="american")
        s.add(row)
        s.flush()
        return row.id


def last_judged(db: Database, subject_id: int) -> datetime:
    with db.session() as s:
        row = s.get(DetectorState, (subject_id, STATE_METRIC, 0))
        assert row is not None
        return row.last_minute


def test_a_minute_waits_for_the_pipeline_to_catch_up(db: Database, subject: int) -> None:
    day = 26 * 60
    write(db, subject, T0, day, seed=1)
    newest = T0 + (day - 1) * MINUTE
    # Three more minutes have closed, but the pipeline has stored nothing after ``newest``.
    report = tick(db, closing(newest + 3 * MINUTE))
    assert report.judged_through == newest - MINUTE
    assert last_judged(db, subject) == newest - MINUTE
    # The posts of those minutes arrive: they are judged with their real counts.
    write(db, subject, newest + MINUTE, 4, seed=2)
    report = tick(db, closing(newest + 4 * MINUTE))
    assert report.judged_through == newest + 3 * MINUTE
    with db.session() as s:
        assert s.scalars(select(Alert)).all() == []


def test_a_busy_channel_that_fell_behind_holds_judging_back(db: Database, subject: int) -> None:
    """Channel 1 is current; channel 2, as busy, is three minutes behind (a reconnect):
    its minutes are not judged as a drop. A quiet channel behind holds nothing back."""
    day = 26 * 60
    write(db, subject, T0, day, seed=7, channel=1)
    write(db, subject, T0, day - 3, seed=8, channel=2)
    newest = T0 + (day - 1) * MINUTE
    report = tick(db, closing(newest))
    assert report.judged_through == newest - 4 * MINUTE
    write(db, subject, newest - 2 * MINUTE, 3, seed=9, channel=2)
    report = tick(db, closing(newest))
    assert report.judged_through == newest - MINUTE
    with db.session() as s:
        assert s.scalars(select(Alert)).all() == []
        s.add(
            MinuteRollup(
                minute=newest - 20 * MINUTE, subject_id=ALL_POSTS, channel_id=3,
                sentiment_label="neutral", count=2, sentiment_sum=0.0,
            )
        )  # fmt: skip
    write(db, subject, newest + MINUTE, 1, seed=10, channel=1)
    write(db, subject, newest + MINUTE, 1, seed=11, channel=2)
    assert tick(db, closing(newest + MINUTE)).judged_through == newest


def test_loading_hours_are_a_gap_not_a_surge_or_a_drop(db: Database, subject: int) -> None:
    """The oldest history is in, the rest is still loading, live posts already arrive."""
    history = 26 * 60
    write(db, subject, T0, history, seed=3)
    live_start = T0 + (history + 180) * MINUTE
    write(db, subject, live_start, 30, seed=4)
    report = tick(db, closing(live_start + 30 * MINUTE))
    assert report.gaps == 180
    with db.session() as s:
        assert s.scalars(select(Alert)).all() == []
        assert s.scalars(select(Anomaly)).all() == []


def test_a_stalled_pipeline_is_judged_after_the_wait_as_a_gap(db: Database, subject: int) -> None:
    history = 26 * 60
    write(db, subject, T0, history, seed=5)
    newest = T0 + (history - 1) * MINUTE
    report = tick(db, closing(newest + 20 * MINUTE))
    assert report.judged_through is not None
    assert report.judged_through > newest + 10 * MINUTE
    assert report.gaps >= 10
    # Traffic returns as it was: not a surge, since the silence was never learned.
    write(db, subject, newest + 21 * MINUTE, 20, seed=6)
    tick(db, closing(newest + 41 * MINUTE))
    with db.session() as s:
        assert s.scalars(select(Alert)).all() == []


def test_judged_through_waits_then_gives_up() -> None:
    now = datetime(2024, 5, 1, 10, 30, 30, tzinfo=UTC)
    closed = datetime(2024, 5, 1, 10, 29, tzinfo=UTC)
    wait = timedelta(minutes=5)
    # The pipeline is at 10:29: everything closed before it is complete.
    assert judged_through(closed, closed, now=now, stall_wait=wait) == closed - MINUTE
    # Newer than every closed minute (a post from the current minute): all closed ones.
    assert judged_through(closed, closed + MINUTE, now=now, stall_wait=wait) == closed
    # Stuck at 10:00: minutes up to 10:24 have waited five minutes and are judged anyway.
    stuck = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert judged_through(closed, stuck, now=now, stall_wait=wait) == datetime(
        2024, 5, 1, 10, 24, tzinfo=UTC
    )
    assert judged_through(closed, None, now=now, stall_wait=wait) == datetime(
        2024, 5, 1, 10, 24, tzinfo=UTC
    )


def surge(db: Database, subject_id: int, start: datetime, minutes: int) -> None:
    """About ten times the usual volume, nearly all negative."""
    rows = [
        MinuteRollup(
            minute=start + i * MINUTE,
            subject_id=sid,
            channel_id=1,
            sentiment_label="negative",
            count=150,
            sentiment_sum=0.0,
        )
        for i in range(minutes)
        for sid in (subject_id, ALL_POSTS)
    ]
    with db.session() as s:
        s.add_all(rows)


def live_tick(db: Database, now: datetime) -> EvaluationReport:
    """As the listening loop ticks: history teaches, only new minutes may alert."""
    with db.session() as s:
        return evaluate(s, now=now, lifecycle=LifecycleParams(quiet_minutes=10))


def seen(db: Database, subject_id: int) -> int:
    with db.session() as s:
        row = s.get(DetectorState, (subject_id, STATE_METRIC, 0))
        assert row is not None
        return int(row.state["seen"])


def test_history_that_arrives_behind_a_young_detector_is_learned(
    db: Database, subject: int
) -> None:
    """The demo's order: live posts first, the day of history stored behind them. The
    detector relearns from the history instead of sitting in warm-up for a day, alerts
    on none of it, and a surge after it opens an alert."""
    history = 26 * 60
    live_start = T0 + history * MINUTE
    write(db, subject, live_start, 20, seed=7)
    live_tick(db, closing(live_start + 19 * MINUTE))
    assert seen(db, subject) <= 20

    write(db, subject, T0, history, seed=8)
    write(db, subject, live_start + 20 * MINUTE, 5, seed=9)
    live_tick(db, closing(live_start + 24 * MINUTE))
    assert seen(db, subject) >= history
    # The newest minute waits for a later post (the watermark); the rest is judged.
    assert last_judged(db, subject) >= live_start + 23 * MINUTE
    with db.session() as s:
        assert s.scalars(select(Alert)).all() == []

    surge(db, subject, live_start + 25 * MINUTE, 3)
    live_tick(db, closing(live_start + 27 * MINUTE))
    with db.session() as s:
        alerts = s.scalars(select(Alert).where(Alert.subject_id == subject)).all()
        assert len(alerts) == 1  # one burst, one alert
        assert set(alert_metrics(alerts[0])) >= {"volume", "negative"}
        assert all(a.started_at >= live_start + 25 * MINUTE for a in alerts)
        assert min(a.started_at for a in alerts) <= live_start + 26 * MINUTE


def test_a_detector_that_learned_its_history_does_not_relearn(db: Database, subject: int) -> None:
    history = 26 * 60
    write(db, subject, T0, history, seed=10)
    live_tick(db, closing(T0 + (history - 1) * MINUTE))
    learned = seen(db, subject)
    write(db, subject, T0 + history * MINUTE, 10, seed=11)
    live_tick(db, closing(T0 + (history + 9) * MINUTE))
    assert seen(db, subject) == learned + 10
