"""Rollups → detector → anomalies → alerts → deliveries, on SQLite and PostgreSQL.

The series are written straight into ``minute_rollups`` (as the remember stage would)
and the clock is passed in, so each test decides exactly which minutes have closed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.listening.alerts.lifecycle import LifecycleParams
from groundswell.listening.alerts.models import Alert, AlertDelivery, AlertRule, Anomaly
from groundswell.listening.alerts.outbox import alert_metrics
from groundswell.listening.alerts.schemas import SuppressionCreate
from groundswell.listening.alerts.suppressions import create_suppression
from groundswell.listening.evaluator import GRACE, evaluate, last_closed_minute
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.listening.spikes import DetectorParams

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
BASELINE_MINUTES = 26 * 60
SPIKE_AT = T0 + BASELINE_MINUTES * MINUTE
SPIKE_MINUTES = 5
END = SPIKE_AT + 90 * MINUTE
PARAMS = DetectorParams()
LIFECYCLE = LifecycleParams(quiet_minutes=10)


def closing(minute: datetime) -> datetime:
    """The first instant at which ``minute`` counts as closed."""
    return minute + MINUTE + GRACE


@pytest.fixture
def subject(db: Database) -> Iterator[int]:
    with db.session() as s:
        row = Subject(name="Delta", kind="brand", query="delta")
        s.add(row)
        s.flush()
        subject_id = row.id
    yield subject_id


def write_series(db: Database, subject_id: int, *, seed: int = 7) -> None:
    """A quiet day (about 4 posts a minute), then five minutes of angry posts."""
    rng = random.Random(seed)
    rows: list[MinuteRollup] = []
    minute = T0
    while minute < END:
        spike = SPIKE_AT <= minute < SPIKE_AT + SPIKE_MINUTES * MINUTE
        counts = {
            "negative": (40 if spike else rng.choice((0, 0, 1, 1, 2))),
            "neutral": rng.choice((1, 1, 2, 2, 3)),
            "positive": rng.choice((0, 1, 1, 2)),
        }
        for label, count in counts.items():
            if count:
                for sid in (subject_id, ALL_POSTS):
                    rows.append(
                        MinuteRollup(
                            minute=minute,
                            subject_id=sid,
                            channel_id=1,
                            sentiment_label=label,
                            count=count,
                            sentiment_sum=-0.5 * count if label == "negative" else 0.0,
                        )
                    )
        minute += MINUTE
    with db.session() as s:
        s.add_all(rows)


def tick(db: Database, now: datetime, **kwargs: object) -> None:
    with db.session() as s:
        evaluate(
            s,
            now=now,
            lifecycle=LIFECYCLE,
            detector_params=PARAMS,
            act_on_history=True,
            **kwargs,  # type: ignore[arg-type]
        )


def stream(db: Database) -> None:
    """A day of history in one tick (the detector's warm-up), then a tick per minute."""
    minute = SPIKE_AT - 20 * MINUTE
    tick(db, closing(minute))
    while minute < END:
        minute += MINUTE
        tick(db, closing(minute))


def episodes(db: Database) -> list[tuple[object, ...]]:
    with db.session() as s:
        rows = s.scalars(select(Alert).order_by(Alert.subject_id, Alert.metric, Alert.started_at))
        return [
            (
                a.subject_id,
                a.metric,
                a.status,
                a.severity,
                a.started_at,
                a.last_anomaly_at,
                a.resolved_at,
            )
            for a in rows
        ]


def anomalies(db: Database) -> list[tuple[object, ...]]:
    with db.session() as s:
        rows = s.scalars(
            select(Anomaly).order_by(Anomaly.subject_id, Anomaly.metric, Anomaly.minute)
        )
        return [
            (a.subject_id, a.metric, a.minute, a.severity, a.alert_id is not None) for a in rows
        ]


def test_minute_closes_after_the_grace() -> None:
    assert last_closed_minute(datetime(2024, 5, 1, 10, 5, 20, tzinfo=UTC)) == datetime(
        2024, 5, 1, 10, 4, tzinfo=UTC
    )
    assert last_closed_minute(datetime(2024, 5, 1, 10, 5, 19, tzinfo=UTC)) == datetime(
        2024, 5, 1, 10, 3, tzinfo=UTC
    )


def test_one_alert_per_episode_resolved_after_quiet_minutes(db: Database, subject: int) -> None:
    write_series(db, subject)
    with db.session() as s:
        s.add(
            AlertRule(
                name="care team",
                subject_ids=None,
                metrics=["negative"],
                min_severity=1,
                targets=[
                    {"kind": "email", "to": "care@example.com"},
                    {"kind": "in_app", "to": ""},
                ],
            )
        )
    stream(db)

    alerts = [e for e in episodes(db) if e[0] == subject]
    assert len(alerts) == 1, alerts  # the burst's posts and negative posts: one alert
    _, _, status, severity, started, last, resolved = alerts[0]
    assert status == "resolved"
    assert SPIKE_AT <= started <= SPIKE_AT + MINUTE  # type: ignore[operator]
    assert severity >= 5  # type: ignore[operator]
    assert resolved == last + (LIFECYCLE.quiet_minutes + 1) * MINUTE  # type: ignore[operator]
    # Every anomalous minute of the episode points at it; overall volume has its own.
    with db.session() as s:
        alert = s.scalars(select(Alert).where(Alert.subject_id == subject)).one()
        assert set(alert_metrics(alert)) >= {"negative", "volume"}
        linked = s.scalars(select(Anomaly).where(Anomaly.alert_id == alert.id)).all()
        assert len(linked) >= 2
        assert {a.metric for a in linked} == set(alert_metrics(alert))
        assert "about Delta" in (alert.summary or "")
        assert "negative posts" in (alert.summary or "").lower()
        overall = s.scalars(
            select(Anomaly).where(Anomaly.subject_id == ALL_POSTS, Anomaly.alert_id.is_not(None))
        ).all()
        assert overall and all(a.alert_id != alert.id for a in overall)
        deliveries = s.scalars(
            select(AlertDelivery)
            .where(AlertDelivery.alert_id == alert.id)
            .order_by(AlertDelivery.id)
        ).all()
    events = sorted((d.event, d.kind, d.status) for d in deliveries)
    assert ("opened", "email", "pending") in events
    assert ("opened", "in_app", "sent") in events
    assert ("resolved", "email", "pending") in events
    assert all(d.alert_id == alert.id for d in deliveries)


def test_backfill_gives_what_streaming_gave(db: Database, subject: int) -> None:
    write_series(db, subject)
    stream(db)
    streamed = (episodes(db), anomalies(db))
    assert streamed[1], "the spike was not detected at all"

    with db.session() as s:
        for model in (AlertDelivery, Anomaly, Alert):
            s.query(model).delete()
        from groundswell.listening.alerts.models import DetectorState

        s.query(DetectorState).delete()
    tick(db, closing(END - MINUTE))
    assert (episodes(db), anomalies(db)) == streamed


def test_a_suppressed_subject_opens_no_alert(db: Database, subject: int) -> None:
    write_series(db, subject)
    with db.session() as s:
        create_suppression(
            s,
            data=SuppressionCreate(
                subject_id=subject,
                starts_at=SPIKE_AT - 30 * MINUTE,
                until=SPIKE_AT + 85 * MINUTE,
                reason="planned fare change",
            ),
            user_id=None,
            now=SPIKE_AT - 31 * MINUTE,
        )
    tick(db, closing(END - MINUTE))
    assert [e for e in episodes(db) if e[0] == subject] == []
    found = [a for a in anomalies(db) if a[0] == subject]
    assert found and not any(a[4] for a in found)


def test_history_teaches_a_new_subject_without_paging_anyone(db: Database, subject: int) -> None:
    """The live loop's first sight acts only inside the notification window."""
    write_series(db, subject)
    with db.session() as s:
        report = evaluate(s, now=END + 2 * 60 * MINUTE, lifecycle=LIFECYCLE, detector_params=PARAMS)
    assert report.subjects == 2
    assert report.lifecycle.opened == 0
    assert episodes(db) == []
    with db.session() as s:
        assert s.scalar(select(AlertDelivery.id)) is None


def test_a_tick_with_nothing_closed_does_nothing(db: Database, subject: int) -> None:
    write_series(db, subject)
    tick(db, closing(T0 + 100 * MINUTE))
    with db.session() as s:
        again = evaluate(
            s, now=closing(T0 + 100 * MINUTE), lifecycle=LIFECYCLE, detector_params=PARAMS
        )
    assert again.minutes == 0 and again.subjects == 0


def test_a_rarely_mentioned_subject_learns_from_when_the_store_began(
    db: Database, subject: int
) -> None:
    """Minutes without posts about it are zeros, so it leaves the warm-up with the rest."""
    write_series(db, subject)
    with db.session() as s:
        quiet = Subject(name="Virgin", kind="brand", query="virgin")
        s.add(quiet)
        s.flush()
        quiet_id = quiet.id
    tick(db, closing(SPIKE_AT))
    with db.session() as s:
        from groundswell.listening.alerts.models import DetectorState

        row = s.get(DetectorState, (quiet_id, "all", 0))
        assert row is not None
        assert row.state["seen"] == BASELINE_MINUTES + 1
