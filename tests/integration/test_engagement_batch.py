"""The rules stage applies a broker batch as a set: same cases as one at a time, a failing
interaction rolled back alone, nothing applied twice."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import delete, select, update

from engagement_world import T0, add_user, store_post
from groundswell.core.brokers import Message
from groundswell.core.db import Database
from groundswell.engagement import cases
from groundswell.engagement.config_models import Rule, RuleApplication, SlaPolicy
from groundswell.engagement.models import (
    Agent,
    Case,
    CaseConversation,
    CaseEvent,
    Queue,
    QueueMember,
)
from groundswell.engagement.rules.service import apply_rules, load_rules
from groundswell.workers import engagement_stage
from groundswell.workers.engagement_stage import EngagementStage


def world(db: Database) -> list[int]:
    ann = add_user(db, "ann@example.com", "agent")
    bob = add_user(db, "bob@example.com", "agent")
    with db.session() as s:
        q = Queue(name="Care", strategy="least_loaded", skills=[], languages=[])
        s.add(q)
        s.flush()
        s.add_all(
            [QueueMember(queue_id=q.id, user_id=ann), QueueMember(queue_id=q.id, user_id=bob)]
        )
        s.add(Agent(user_id=ann, capacity=2, away=False, skills=[], languages=[]))
        s.add(Agent(user_id=bob, capacity=1, away=False, skills=[], languages=[]))
        s.add(
            SlaPolicy(
                name="Standard",
                first_response_min=60,
                next_response_min=120,
                resolution_min=480,
                warn_before_min=15,
                timezone="UTC",
                hours={},
                notify_kind="in_app",
                active=True,
            )
        )
        s.add(
            Rule(
                name="Negative tweets to Care",
                position=0,
                stop=False,
                active=True,
                conditions={"channels": ["twitter"], "sentiments": ["negative"]},
                actions=[
                    {"type": "open_case"},
                    {"type": "assign_queue", "queue_id": q.id},
                    {"type": "tag", "tag": "complaint"},
                ],
            )
        )
        s.add(
            Rule(
                name="Refunds are urgent",
                position=1,
                stop=False,
                active=True,
                conditions={"keywords": ["refund"]},
                actions=[
                    {"type": "set_priority", "priority": "urgent"},
                    {"type": "tag", "tag": "refund"},
                ],
            )
        )
    return [
        store_post(db, "p1", "carla"),
        store_post(db, "p2", "dan", minutes=1),
        store_post(
            db, "p3", "carla", reply_to="p1", minutes=2, text="thanks", label="positive", score=0.7
        ),
        store_post(db, "p4", "carla", minutes=3, text="still no bag, awful"),
        store_post(db, "p5", "erin", minutes=4),
        store_post(db, "p6", "fay", minutes=5),  # both agents full: left in the queue
        store_post(
            db,
            "p7",
            "dan",
            reply_to="p2",
            minutes=6,
            text="refund please",
            label="positive",
            score=0.7,
        ),
        store_post(db, "p8", "gus", minutes=7, text="a refund, now", label="positive", score=0.7),
        # after carla's and erin's cases are resolved and dan's is pending:
        store_post(db, "p9", "carla", reply_to="p1", minutes=8),  # reopens carla's case
        store_post(db, "p10", "dan", reply_to="p2", minutes=9),  # resumes dan's case
        store_post(db, "p11", "hank", minutes=10),  # ann has room again
        store_post(db, "p12", "erin", minutes=11),  # erin's case is resolved: a new one
    ]


def change_some(db: Database) -> None:
    """Resolve carla's and erin's cases (the first and third opened), put dan's on hold."""
    with db.session() as s:
        carla, dan, erin = s.scalars(select(Case).order_by(Case.id)).all()[:3]
        for case, action in ((carla, "resolve"), (erin, "resolve"), (dan, "pend")):
            cases.change_status(s, case_id=case.id, action=action, actor_id=None, now=T0)  # type: ignore[arg-type]


def snapshot(db: Database) -> dict[str, Any]:
    with db.session() as s:
        cases = s.scalars(select(Case).order_by(Case.id)).all()
        order = {c.id: n for n, c in enumerate(cases)}
        return {
            "cases": [
                (
                    c.contact_id,
                    c.status,
                    c.assignee_id,
                    c.queue_id,
                    c.tags,
                    c.priority_label,
                    round(c.priority_score, 6),
                    c.first_response_due,
                    c.next_due_at,
                    c.customer_value,
                    c.sla_policy_id,
                    c.version,
                    c.sentiment_score,
                )
                for c in cases
            ],
            "events": sorted(
                (order[e.case_id], e.kind, orjson.dumps(e.data, option=orjson.OPT_SORT_KEYS))
                for e in s.scalars(select(CaseEvent))
            ),
            "links": sorted(
                (order[c], v)
                for c, v in s.execute(
                    select(CaseConversation.case_id, CaseConversation.conversation_id)
                )
            ),
            "applications": sorted(
                (a.interaction_id, a.rule_id, None if a.case_id is None else order[a.case_id])
                for a in s.scalars(select(RuleApplication))
            ),
        }


def forget_cases(db: Database) -> None:
    with db.session() as s:
        for model in (RuleApplication, CaseEvent, CaseConversation, Case):
            s.execute(delete(model))
        s.execute(update(Queue).values(last_assigned_user_id=None))


def events(ids: list[int]) -> list[Message]:
    return [
        Message(
            id=f"m{n}",
            payload=orjson.dumps({"type": "interaction.stored", "id": i, "direction": "in"}),
        )
        for n, i in enumerate(ids)
    ]


def test_a_batch_gives_the_cases_one_at_a_time_gives(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = world(db)
    first, then = ids[:8], ids[8:]
    for iid in first:
        with db.session() as s:
            apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=T0)
    after_first = snapshot(db)
    assert len(after_first["cases"]) == 4
    assert [c[2] is None for c in after_first["cases"]].count(True) == 1  # fay waits
    change_some(db)
    for iid in then:
        with db.session() as s:
            apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=T0)
    one_by_one = snapshot(db)
    statuses = [c[1] for c in one_by_one["cases"]]
    assert statuses[:3] == ["open", "open", "resolved"]  # reopened, resumed, left resolved
    assert len(statuses) == 6
    assert any(e[1] == "reopened" for e in one_by_one["events"])

    forget_cases(db)
    monkeypatch.setattr(engagement_stage, "utcnow", lambda: T0)
    stage = EngagementStage(db)
    outcome = stage.handle(events(first))
    assert sorted(outcome.done) == sorted(f"m{n}" for n in range(len(first)))
    assert snapshot(db) == after_first
    change_some(db)
    assert not stage.handle(events(then)).failed
    assert snapshot(db) == one_by_one


def test_a_failing_interaction_is_rolled_back_alone(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = world(db)[:8]
    real = engagement_stage.apply_rules
    broken = {ids[1]}

    def flaky(session: Any, **kw: Any) -> Any:
        case = real(session, **kw)
        if kw["interaction_id"] in broken:
            raise RuntimeError("boom")
        return case

    monkeypatch.setattr(engagement_stage, "apply_rules", flaky)
    stage = EngagementStage(db)
    batch = events([*ids, ids[0]])  # the first one twice: a redelivery inside the batch
    outcome = stage.handle(batch)
    assert list(outcome.failed) == ["m1"]
    assert sorted(outcome.done) == sorted(m.id for m in batch if m.id != "m1")
    with db.session() as s:
        applied = set(s.scalars(select(RuleApplication.interaction_id)))
        assert applied == set(ids) - broken
        # dan's case (p2) was rolled back with its interaction; the others committed
        assert len(s.scalars(select(Case)).all()) == 3
    broken.clear()
    outcome = stage.handle(events(ids))  # redelivered: only p2 is new work
    assert not outcome.failed
    with db.session() as s:
        assert set(s.scalars(select(RuleApplication.interaction_id))) == set(ids)
        assert len(s.scalars(select(Case)).all()) == 4
        per_interaction = s.execute(
            select(RuleApplication.interaction_id, RuleApplication.rule_id)
        ).all()
        assert len(per_interaction) == len(set(per_interaction))
