"""Overall volume (all posts, subject 0) raises alerts like a subject does."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.listening.alerts.lifecycle import LifecycleParams
from groundswell.listening.alerts.models import Alert
from groundswell.listening.alerts.schemas import AlertFilter
from groundswell.listening.alerts.service import get_alert_detail, list_alerts
from groundswell.listening.evaluator import GRACE, evaluate
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.listening.service import delete_subject

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SPIKE_AT = T0 + 26 * 60 * MINUTE


def _write(db: Database, subject_id: int | None, start: datetime, minutes: int) -> None:
    rng = random.Random(11)
    rows: list[MinuteRollup] = []
    for i in range(minutes):
        minute = start + i * MINUTE
        surge = SPIKE_AT <= minute < SPIKE_AT + 5 * MINUTE
        count = 60 if surge else rng.randint(3, 6)
        for sid in (ALL_POSTS,) if subject_id is None else (ALL_POSTS, subject_id):
            rows.append(
                MinuteRollup(
                    minute=minute,
                    subject_id=sid,
                    channel_id=1,
                    sentiment_label="neutral",
                    count=count,
                    sentiment_sum=0.0,
                )
            )
    with db.session() as s:
        s.add_all(rows)


def _tick(db: Database, now: datetime) -> None:
    with db.session() as s:
        evaluate(s, now=now, lifecycle=LifecycleParams(quiet_minutes=10), act_on_history=True)


def test_a_surge_of_all_posts_opens_an_alert_named_all_posts(db: Database) -> None:
    _write(db, None, T0, 26 * 60 + 20)
    _tick(db, SPIKE_AT - MINUTE + MINUTE + GRACE)
    for k in range(1, 10):
        _tick(db, SPIKE_AT + k * MINUTE + GRACE)
    with db.session() as s:
        page = list_alerts(s, filters=AlertFilter(subject_id=ALL_POSTS))
        assert [(a.subject_id, a.subject_name, a.metric) for a in page.items] == [
            (ALL_POSTS, "All posts", "volume")
        ]
        detail = get_alert_detail(s, alert_id=page.items[0].id)
        assert detail.subject_name == "All posts"


def test_deleting_a_subject_deletes_its_alerts_not_the_overall_ones(db: Database) -> None:
    with db.session() as s:
        row = Subject(name="Acme", kind="brand", query="acme")
        s.add(row)
        s.flush()
        sid = row.id
    _write(db, sid, T0, 26 * 60 + 20)
    _tick(db, SPIKE_AT - MINUTE + MINUTE + GRACE)
    for k in range(1, 10):
        _tick(db, SPIKE_AT + k * MINUTE + GRACE)
    with db.session() as s:
        assert {a.subject_id for a in s.scalars(select(Alert))} == {ALL_POSTS, sid}
        delete_subject(s, subject_id=sid)
    with db.session() as s:
        assert {a.subject_id for a in s.scalars(select(Alert))} == {ALL_POSTS}
