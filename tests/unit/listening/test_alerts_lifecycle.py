"""The alert lifecycle with hand-made detections, on SQLite and PostgreSQL.

No detector here: each test says which minutes are anomalous and how badly, and checks
the episodes, escalations, suppressions and the deliveries written with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from groundswell.analytics.digest.moved import alert_line
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.core.db import Database
from groundswell.listening.alerts import service as alert_service
from groundswell.listening.alerts.lifecycle import AlertBook, LifecycleParams
from groundswell.listening.alerts.models import (
    Alert,
    AlertDelivery,
    AlertRule,
    AlertSuppression,
    Anomaly,
)
from groundswell.listening.alerts.schemas import AlertFilter, SuppressRequest
from groundswell.listening.models import ALL_POSTS, Subject

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
PARAMS = LifecycleParams(quiet_minutes=3, escalate_by=2)


@dataclass(frozen=True)
class FakeDetection:
    metric: str
    minute: datetime
    expected: float
    observed: float
    severity: int
    p_value: float = 1e-9


def run(
    db: Database,
    subject_id: int,
    severities: dict[int, int],
    *,
    until: int,
    now_offset: int = 0,
    metric: str = "negative",
) -> None:
    """Observe minutes 0..until of ``subject_id``; ``severities`` maps minute → severity."""
    with db.session() as s:
        book = AlertBook(s, now=T0 + (until + 1 + now_offset) * MINUTE, params=PARAMS)
        for m in range(until + 1):
            minute = T0 + m * MINUTE
            found: Iterable[FakeDetection] = ()
            if m in severities:
                sev = severities[m]
                found = [FakeDetection(metric, minute, 2.0, 2.0 + 5 * sev, sev)]
            book.observe(subject_id, minute, list(found))
        book.finish(T0 + until * MINUTE)


@pytest.fixture
def subject(db: Database) -> int:
    with db.session() as s:
        row = Subject(name="Delta", kind="brand", query="delta")
        s.add(row)
        s.flush()
        return row.id


def add_rule(db: Database, *, min_severity: int = 1, subject_ids: list[int] | None = None) -> int:
    with db.session() as s:
        rule = AlertRule(
            name=f"sev {min_severity}",
            subject_ids=subject_ids,
            metrics=["negative", "volume"],
            min_severity=min_severity,
            targets=[{"kind": "webhook", "to": "https://hooks.example.com/a"}],
        )
        s.add(rule)
        s.flush()
        return rule.id


def alerts(db: Database) -> list[Alert]:
    with db.session() as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))


def deliveries(db: Database) -> list[tuple[int | None, str]]:
    with db.session() as s:
        rows = s.scalars(select(AlertDelivery).order_by(AlertDelivery.id))
        return [(d.rule_id, d.event) for d in rows]


def test_an_episode_is_one_alert_until_quiet(db: Database, subject: int) -> None:
    rule = add_rule(db)
    run(db, subject, {2: 4, 3: 4, 5: 3}, until=12)
    [alert] = alerts(db)
    assert (alert.status, alert.severity) == ("resolved", 4)
    assert alert.started_at == T0 + 2 * MINUTE and alert.last_anomaly_at == T0 + 5 * MINUTE
    assert alert.resolved_at == T0 + (5 + 3 + 1) * MINUTE
    assert deliveries(db) == [(rule, "opened"), (rule, "resolved")]
    with db.session() as s:
        linked = s.scalars(select(Anomaly.minute).where(Anomaly.alert_id == alert.id)).all()
    assert len(linked) == 3


def test_a_new_spike_after_the_quiet_period_is_a_new_alert(db: Database, subject: int) -> None:
    run(db, subject, {1: 3, 10: 5}, until=20)
    first, second = alerts(db)
    assert first.status == second.status == "resolved"
    assert second.started_at == T0 + 10 * MINUTE


def test_status_goes_open_then_ongoing(db: Database, subject: int) -> None:
    run(db, subject, {1: 3}, until=1)
    assert alerts(db)[0].status == "open"
    with db.session() as s:
        book = AlertBook(s, now=T0 + 3 * MINUTE, params=PARAMS)
        book.observe(
            subject, T0 + 2 * MINUTE, [FakeDetection("negative", T0 + 2 * MINUTE, 2, 9, 3)]
        )
        book.finish(T0 + 2 * MINUTE)
    assert alerts(db)[0].status == "ongoing"


def test_escalation_is_told_only_on_a_big_rise_or_a_threshold(db: Database, subject: int) -> None:
    everyone = add_rule(db, min_severity=1)
    severe = add_rule(db, min_severity=7)
    # 3 → 4 (small rise: silent) → 5 (two above 3: escalated) → 7 (crosses `severe`) → 8
    run(db, subject, {0: 3, 1: 4, 2: 5, 3: 7, 4: 8}, until=4)
    assert deliveries(db) == [
        (everyone, "opened"),
        (everyone, "escalated"),  # 5 ≥ 3 + 2
        (everyone, "escalated"),  # 7 ≥ 5 + 2
        (severe, "escalated"),  # 7 crosses its minimum: its first word of this alert
    ]
    assert alerts(db)[0].severity == 8


def test_escalation_baseline_survives_between_passes(db: Database, subject: int) -> None:
    rule = add_rule(db)
    run(db, subject, {0: 3}, until=0)
    with db.session() as s:
        book = AlertBook(s, now=T0 + 5 * MINUTE, params=PARAMS)
        for m, sev in ((1, 4), (2, 4)):
            minute = T0 + m * MINUTE
            book.observe(subject, minute, [FakeDetection("negative", minute, 2, 20, sev)])
        book.finish(T0 + 2 * MINUTE)
    with db.session() as s:
        book = AlertBook(s, now=T0 + 5 * MINUTE, params=PARAMS)
        minute = T0 + 3 * MINUTE
        book.observe(subject, minute, [FakeDetection("negative", minute, 2, 30, 5)])
        book.finish(T0 + 3 * MINUTE)
    assert deliveries(db) == [(rule, "opened"), (rule, "escalated")]


def test_suppression_stops_new_alerts_and_their_notices(db: Database, subject: int) -> None:
    add_rule(db)
    with db.session() as s:
        s.add(
            AlertSuppression(
                subject_id=subject, metric="negative", starts_at=T0, until=T0 + 10 * MINUTE
            )
        )
    run(db, subject, {2: 6, 3: 6}, until=8)
    assert alerts(db) == [] and deliveries(db) == []
    # Another metric of the same subject is not covered by that window.
    run(db, subject, {2: 6}, until=8, metric="volume")
    assert [a.metric for a in alerts(db)] == ["volume"]


def test_old_minutes_are_recorded_but_not_sent(db: Database, subject: int) -> None:
    add_rule(db)
    run(db, subject, {1: 6}, until=8, now_offset=120)
    assert [a.status for a in alerts(db)] == ["resolved"]
    assert deliveries(db) == []


def test_rules_scope_by_subject_and_severity(db: Database, subject: int) -> None:
    add_rule(db, subject_ids=[subject + 100])
    add_rule(db, min_severity=9)
    run(db, subject, {1: 5}, until=2)
    assert len(alerts(db)) == 1 and deliveries(db) == []


def test_overall_volume_raises_alerts_too(db: Database, subject: int) -> None:
    run(db, ALL_POSTS, {1: 5}, until=2, metric="volume")
    assert [(a.subject_id, a.metric) for a in alerts(db)] == [(ALL_POSTS, "volume")]
    with db.session() as s:
        assert s.scalars(select(Anomaly.subject_id)).all() == [ALL_POSTS]


def test_acknowledge_assign_resolve_and_suppress(db: Database, subject: int) -> None:
    rule = add_rule(db)
    with db.session() as s:
        agent = create_user(s, data=UserCreate(email="agent@example.com", password="x" * 12))
    run(db, subject, {1: 5}, until=1)
    alert_id = alerts(db)[0].id
    with db.session() as s:
        read = alert_service.acknowledge(s, alert_id=alert_id, user_id=agent.id)
        assert read.acknowledged_by_name == "agent@example.com"
        first_ack = read.acknowledged_at
        again = alert_service.acknowledge(
            s, alert_id=alert_id, user_id=agent.id, now=T0 + 30 * MINUTE
        )
        assert again.acknowledged_at == first_ack
        assert alert_service.assign(s, alert_id=alert_id, user_id=agent.id).assigned_to == agent.id
        window = alert_service.suppress(
            s, alert_id=alert_id, data=SuppressRequest(minutes=30), user_id=agent.id, now=T0
        )
        assert (window.subject_id, window.metric) == (subject, "negative")
        assert window.until - window.starts_at == timedelta(minutes=30)
        resolved = alert_service.resolve(s, alert_id=alert_id, now=T0 + 5 * MINUTE)
        assert resolved.status == "resolved"
    assert deliveries(db) == [(rule, "opened"), (rule, "resolved")]
    with db.session() as s:
        assert alert_service.count_open(s) == 0


def observe_all(
    db: Database, subject_id: int, minutes: dict[int, list[tuple[str, int]]], *, until: int
) -> None:
    """One pass over minutes 0..until; ``minutes`` maps minute → [(metric, severity)]."""
    with db.session() as s:
        book = AlertBook(s, now=T0 + (until + 1) * MINUTE, params=PARAMS)
        for m in range(until + 1):
            minute = T0 + m * MINUTE
            found = [
                FakeDetection(metric, minute, 2.0, 2.0 + 5 * sev, sev)
                for metric, sev in minutes.get(m, [])
            ]
            book.observe(subject_id, minute, found)
        book.finish(T0 + until * MINUTE)


def test_a_burst_on_several_metrics_is_one_alert(db: Database, subject: int) -> None:
    """Posts and negative posts of one surge: one alert, one "opened", both peaks told."""
    both = add_rule(db)
    observe_all(
        db,
        subject,
        {1: [("volume", 5)], 2: [("volume", 5), ("negative", 6)], 3: [("negative", 7)]},
        until=12,
    )
    [alert] = alerts(db)
    assert alert.metric == "volume"
    assert alert.joined == {"negative": [37.0, 2.0]}  # its own peak: minute 3, severity 7
    assert alert.severity == 7
    assert (alert.status, alert.last_anomaly_at) == ("resolved", T0 + 3 * MINUTE)
    assert alert.summary is not None
    assert alert.summary.startswith("Posts about Delta: 27 in the minute at 10:01 UTC")
    assert alert.summary.endswith("; negative posts 37 vs 2 expected (severity 7)")
    with db.session() as s:
        linked = s.scalars(select(Anomaly.metric).where(Anomaly.alert_id == alert.id)).all()
    assert sorted(linked) == ["negative", "negative", "volume", "volume"]
    assert deliveries(db) == [(both, "opened"), (both, "escalated"), (both, "resolved")]


def test_a_rule_on_the_joining_metric_only_hears_it_opened(db: Database, subject: int) -> None:
    with db.session() as s:
        rule = AlertRule(
            name="care team",
            metrics=["negative"],
            min_severity=1,
            targets=[{"kind": "webhook", "to": "https://hooks.example.com/care"}],
        )
        s.add(rule)
        s.flush()
        care = rule.id
    observe_all(db, subject, {1: [("volume", 5)], 2: [("negative", 5)]}, until=9)
    [alert] = alerts(db)
    assert (alert.metric, list(alert.joined or {})) == ("volume", ["negative"])
    assert deliveries(db) == [(care, "opened"), (care, "resolved")]


def test_a_metric_joins_the_episode_a_previous_pass_opened(db: Database, subject: int) -> None:
    observe_all(db, subject, {1: [("volume", 4)]}, until=2)
    with db.session() as s:
        book = AlertBook(s, now=T0 + 5 * MINUTE, params=PARAMS)
        minute = T0 + 3 * MINUTE
        book.observe(subject, minute, [FakeDetection("negative", minute, 1.0, 9.0, 5)])
        book.finish(minute)
    [alert] = alerts(db)
    assert alert.joined == {"negative": [9.0, 1.0]} and alert.status == "ongoing"
    with db.session() as s:  # the next pass finds it under both metrics
        book = AlertBook(s, now=T0 + 6 * MINUTE, params=PARAMS)
        minute = T0 + 4 * MINUTE
        book.observe(subject, minute, [FakeDetection("negative", minute, 1.0, 12.0, 5)])
        book.finish(minute)
    [alert] = alerts(db)
    assert alert.joined == {"negative": [12.0, 1.0]}


def test_after_quiet_another_metric_opens_its_own_alert(db: Database, subject: int) -> None:
    observe_all(db, subject, {1: [("volume", 4)], 6: [("negative", 4)]}, until=12)
    first, second = alerts(db)
    assert (first.metric, first.joined) == ("volume", None)
    assert (second.metric, second.started_at) == ("negative", T0 + 6 * MINUTE)


def test_a_suppressed_metric_does_not_join(db: Database, subject: int) -> None:
    with db.session() as s:
        s.add(
            AlertSuppression(
                subject_id=subject, metric="negative", starts_at=T0, until=T0 + 10 * MINUTE
            )
        )
    observe_all(db, subject, {1: [("volume", 4)], 2: [("negative", 6)]}, until=3)
    [alert] = alerts(db)
    assert (alert.joined, alert.severity) == (None, 4)


def test_the_list_shows_every_metric_and_filters_by_a_joined_one(
    db: Database, subject: int
) -> None:
    observe_all(db, subject, {1: [("volume", 4), ("net_sentiment", 5)]}, until=2)
    observe_all(db, ALL_POSTS, {1: [("volume", 3)]}, until=2)
    with db.session() as s:
        page = alert_service.list_alerts(s, filters=AlertFilter(metric="net_sentiment"))
        [read] = page.items
        assert read.subject_name == "Delta"
        assert read.metrics_label == "Posts + net sentiment"
        assert [(j.metric, j.label) for j in read.joined] == [("net_sentiment", "Net sentiment")]
        volume = alert_service.list_alerts(s, filters=AlertFilter(metric="volume"))
        assert len(volume.items) == 2
        window = alert_service.suppress(
            s, alert_id=read.id, data=SuppressRequest(minutes=30), user_id=None, now=T0
        )
        assert window.metric is None  # silenced on every metric the episode covers
        stored = s.get(Alert, read.id)
        assert stored is not None
        assert alert_line(stored, None).metric == "volume + net_sentiment"  # the digest's line
