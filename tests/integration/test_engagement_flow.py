"""Cases, rules, replies, approvals, SLA and the sender on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engagement_world import T0, FileNetwork, add_user, store_post
from groundswell.auth.models import AuditEntry
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError
from groundswell.engagement import cases, replies, sla
from groundswell.engagement.config_models import CannedResponse, Rule, RuleApplication, SlaPolicy
from groundswell.engagement.models import Agent, Case, CaseEvent, Queue, QueueMember
from groundswell.engagement.reply_models import OutboundReply
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.engagement.rules.service import apply_rules, load_rules
from groundswell.notify.models import Delivery
from groundswell.workers.reply_sender import ReplySender


def setup_team(db: Database) -> tuple[int, int, int]:
    ann = add_user(db, "ann@example.com", "agent")
    bob = add_user(db, "bob@example.com", "agent")
    with db.session() as s:
        q = Queue(name="Care", strategy="least_loaded", skills=[], languages=[])
        s.add(q)
        s.flush()
        s.add_all(
            [QueueMember(queue_id=q.id, user_id=ann), QueueMember(queue_id=q.id, user_id=bob)]
        )
        s.add(Agent(user_id=bob, capacity=0, away=False, skills=[], languages=[]))
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
                stop=True,
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
            CannedResponse(
                name="Sorry",
                shortcut="sorry",
                body="Hi {{contact.first_name}}, {{agent.name}} here. We are on it.",
                tags=[],
                resolve=False,
            )
        )
        return ann, bob, q.id


def run_rules(db: Database, interaction_id: int, now=T0) -> Case | None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        case = apply_rules(s, interaction_id=interaction_id, ruleset=load_rules(s), now=now)
        return None if case is None else s.get(Case, case.id)


def test_rule_opens_assigns_and_is_idempotent(db: Database) -> None:
    ann, _bob, queue_id = setup_team(db)
    iid = store_post(db, "t1", "carla")
    case = run_rules(db, iid)
    assert case is not None
    assert case.assignee_id == ann  # bob has no capacity
    assert case.status == "open" and case.queue_id == queue_id and case.tags == ["complaint"]
    assert case.first_response_due == T0 + timedelta(minutes=60)
    assert run_rules(db, iid) is None  # redelivered event: nothing happens twice
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalar(select(func.count()).select_from(RuleApplication)) == 1
        kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.id))]
    assert kinds[0] == "created" and "assigned" in kinds and "rule" in kinds


def test_a_rule_met_again_by_the_next_message_adds_no_event(db: Database) -> None:
    """Three complaints from one customer join one case: the same queue, agent and tag
    each time, so "assigned" and "tags" are told once; "rule applied" once per message."""
    setup_team(db)
    for n in range(3):
        case = run_rules(db, store_post(db, f"t{n}", "carla", reply_to=None, minutes=n))
    assert case is not None
    with db.session() as s:
        kinds = [
            e.kind
            for e in s.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        ]
    assert kinds.count("assigned") == 1 and kinds.count("tagged") == 1
    assert kinds.count("rule") == 3


def test_positive_post_opens_nothing_but_a_reply_in_thread_joins(db: Database) -> None:
    setup_team(db)
    first = store_post(db, "t1", "carla")
    run_rules(db, first)
    happy = store_post(db, "t2", "dan", label="positive", score=0.8, text="Love it")
    assert run_rules(db, happy) is None
    follow = store_post(
        db, "t3", "carla", reply_to="t1", minutes=5, label="positive", score=0.5, text="thanks"
    )
    case = run_rules(db, follow)
    assert case is not None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1


def test_reply_is_sent_once_with_retries(db: Database, tmp_path: Path) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    network = FileNetwork(tmp_path / "net.jsonl", fail_times=2)
    registry = ConnectorRegistry()
    registry.register(network)
    with db.session() as s:
        reply = replies.queue_reply(
            s,
            case_id=case.id,
            author=replies.Author(ann, "agent"),
            text="We are on it",
            caps=network.caps,
            now=T0,
        )
        assert reply.status == "queued"
        rid = reply.id
    clock = [T0]
    sender = ReplySender(db, registry, base_delay_s=1.0, clock=lambda: clock[0])
    assert sender.run_once().retried == 1
    clock[0] += timedelta(minutes=5)
    assert sender.run_once().retried == 1
    clock[0] += timedelta(minutes=5)
    assert sender.run_once().sent == 1
    clock[0] += timedelta(minutes=5)
    assert sender.run_once().sent == 0
    assert len(network.posts()) == 1
    with db.session() as s:
        row = s.get(OutboundReply, rid)
        assert (
            row is not None
            and row.status == "sent"
            and row.external_id == "net-1"
            and row.attempts == 3
        )
        c = s.get(Case, case.id)
        assert c is not None and c.first_responded_at == T0 and c.first_response_due is None


def test_a_reply_to_a_private_message_is_stored_private(db: Database, tmp_path: Path) -> None:
    """The answer to an X DM (stored on the account's ``twitter`` channel) is as private
    as the question; an answer to a public tweet on the same channel is public."""
    from groundswell.crm.models import Interaction

    ann, _, _ = setup_team(db)
    dm = store_post(db, "t1", "carla")
    public = store_post(db, "t2", "dan", text="Where is my bag, awful")
    with db.session() as s:
        s.get(Interaction, dm).private = True  # type: ignore[union-attr]
    caps = FileNetwork(tmp_path / "n").caps
    stored = {}
    for name, post in (("dm", dm), ("public", public)):
        case = run_rules(db, post)
        assert case is not None
        with db.session() as s:
            reply = replies.queue_reply(
                s,
                case_id=case.id,
                author=replies.Author(ann, "agent"),
                text="We are on it",
                caps=caps,
                now=T0,
                target_interaction_id=post,
            )
            row = s.get(Interaction, reply.interaction_id)
            assert row is not None
            stored[name] = row.private
    assert stored == {"dm": True, "public": False}


def test_permanent_failure_is_visible(db: Database, tmp_path: Path) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    network = FileNetwork(tmp_path / "net.jsonl", fail_times=100)
    registry = ConnectorRegistry()
    registry.register(network)
    with db.session() as s:
        rid = replies.queue_reply(
            s,
            case_id=case.id,
            author=replies.Author(ann, "agent"),
            text="hi",
            caps=network.caps,
            now=T0,
        ).id
    clock = [T0]
    sender = ReplySender(db, registry, max_attempts=3, base_delay_s=1.0, clock=lambda: clock[0])
    for _ in range(4):
        sender.run_once()
        clock[0] += timedelta(hours=1)
    with db.session() as s:
        row = s.get(OutboundReply, rid)
        assert row is not None and row.status == "failed" and "503" in (row.last_error or "")
    assert network.posts() == []


def test_refusals_before_anything_is_queued(db: Database, tmp_path: Path) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    caps = FileNetwork(tmp_path / "n").caps
    with db.session() as s:
        with pytest.raises(ReplyRefused) as info:
            replies.queue_reply(
                s,
                case_id=case.id,
                author=replies.Author(ann, "agent"),
                text="x" * 300,
                caps=caps,
                now=T0,
            )
        assert info.value.field == "text"
        with pytest.raises(ReplyRefused) as info:
            replies.queue_reply(
                s,
                case_id=case.id,
                author=replies.Author(ann, "analyst"),
                text="x",
                caps=caps,
                now=T0,
            )
        assert info.value.status == 403
        assert s.scalar(select(func.count()).select_from(OutboundReply)) == 0


def test_influencer_reply_waits_for_approval(db: Database, tmp_path: Path) -> None:
    ann, _, _ = setup_team(db)
    lead = add_user(db, "lea@example.com", "lead")
    case = run_rules(db, store_post(db, "t1", "star", influence=90.0))
    assert case is not None
    network = FileNetwork(tmp_path / "net.jsonl")
    registry = ConnectorRegistry()
    registry.register(network)
    with db.session() as s:
        reply = replies.queue_reply(
            s,
            case_id=case.id,
            author=replies.Author(ann, "agent"),
            text="Sorry!",
            caps=network.caps,
            now=T0,
        )
        assert reply.status == "awaiting_approval" and "influential" in (
            reply.approval_reasons or ""
        )
        rid = reply.id
    sender = ReplySender(db, registry, clock=lambda: T0)
    sender.run_once()
    assert network.posts() == []  # nothing goes out unapproved
    with db.session() as s:
        with pytest.raises(ReplyRefused):
            replies.decide(
                s, reply_id=rid, approver=replies.Author(ann, "agent"), approve=True, now=T0
            )
        with pytest.raises(InvalidInputError):
            replies.decide(
                s, reply_id=rid, approver=replies.Author(lead, "lead"), approve=False, now=T0
            )
        replies.decide(
            s,
            reply_id=rid,
            approver=replies.Author(lead, "lead"),
            approve=True,
            now=T0,
            text="We are sorry, DM us",
        )
    sender.run_once()
    assert [p["text"] for p in network.posts()] == ["We are sorry, DM us"]
    with db.session() as s:
        audited = [
            (e.actor, e.action, e.target_id)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert audited == [("lea@example.com", "reply.approve", str(rid))]


def test_pending_pauses_the_clock_and_breach_notifies(db: Database) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    with db.session() as s:
        cases.change_status(
            s, case_id=case.id, action="pend", actor_id=ann, now=T0 + timedelta(minutes=10)
        )
    with db.session() as s:
        c = cases.change_status(
            s, case_id=case.id, action="open", actor_id=ann, now=T0 + timedelta(minutes=40)
        )
        assert c.first_response_due == T0 + timedelta(minutes=90)  # 30 paused minutes added
    with db.session() as s:
        assert sla.check_due(s, now=T0 + timedelta(minutes=80)) == (1, 0)
        assert sla.check_due(s, now=T0 + timedelta(minutes=81)) == (0, 0)
        assert sla.check_due(s, now=T0 + timedelta(minutes=91)) == (0, 1)
        assert sla.check_due(s, now=T0 + timedelta(minutes=92)) == (0, 0)
    with db.session() as s:
        events = [d.event for d in s.scalars(select(Delivery).order_by(Delivery.id))]
    assert events == ["sla_warning", "sla_breached"]


def test_customer_message_reopens_within_window(db: Database) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    with db.session() as s:
        cases.change_status(
            s, case_id=case.id, action="resolve", actor_id=ann, now=T0 + timedelta(minutes=5)
        )
    again = run_rules(
        db, store_post(db, "t2", "carla", reply_to="t1", minutes=30), now=T0 + timedelta(minutes=30)
    )
    assert again is not None and again.id == case.id and again.status == "open"


def test_notes_mention_colleagues(db: Database) -> None:
    ann, bob, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    with db.session() as s:
        note = cases.add_note(
            s, case_id=case.id, author_id=ann, text="@bob can you check <b>this</b>?", now=T0
        )
        assert note.mentions == [bob]


CRASHING_SENDER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from engagement_world import FileNetwork
    from groundswell.channels.registry import ConnectorRegistry
    from groundswell.core.db import Database
    from gs_testing import make_settings
    from groundswell.workers.reply_sender import ReplySender

    class Crashing(ReplySender):
        def after_network_call(self, reply_id):
            os._exit(9)  # killed between the network call and the commit

    registry = ConnectorRegistry()
    registry.register(FileNetwork(Path({net!r})))
    Crashing(Database(make_settings({url!r})), registry).run_once()
    """
)


def test_killed_sender_never_posts_twice(db: Database, database_url: str, tmp_path: Path) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    net = tmp_path / "net.jsonl"
    network = FileNetwork(net)
    with db.session() as s:
        rid = replies.queue_reply(
            s,
            case_id=case.id,
            author=replies.Author(ann, "agent"),
            text="Once only",
            caps=network.caps,
            now=T0,
        ).id
    script = CRASHING_SENDER.format(
        tests=str(Path(__file__).parents[1]), net=str(net), url=database_url
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=120)
    assert done.returncode == 9
    assert len(network.posts()) == 1
    with db.session() as s:
        row = s.get(OutboundReply, rid)
        assert row is not None and row.status == "sending"  # in doubt
    registry = ConnectorRegistry()
    registry.register(network)
    from groundswell.core.clock import utcnow

    later = utcnow() + timedelta(minutes=5)
    report = ReplySender(db, registry, clock=lambda: later).run_once()
    assert report.reconciled == 1 and report.sent == 0
    assert len(network.posts()) == 1
    with db.session() as s:
        row = s.get(OutboundReply, rid)
        assert row is not None and row.status == "sent" and row.external_id == "net-1"


def test_in_doubt_on_a_network_that_cannot_tell_needs_a_person(
    db: Database, tmp_path: Path
) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    network = FileNetwork(tmp_path / "net.jsonl", can_lookup=False)
    with db.session() as s:
        rid = replies.queue_reply(
            s,
            case_id=case.id,
            author=replies.Author(ann, "agent"),
            text="x",
            caps=network.caps,
            now=T0,
        ).id
        replies.claim_due(s, now=T0, limit=10)  # a sender claimed it, then died
    registry = ConnectorRegistry()
    registry.register(network)
    report = ReplySender(db, registry, clock=lambda: T0 + timedelta(minutes=5)).run_once()
    assert report.needs_check == 1 and network.posts() == []
    with db.session() as s:
        row = s.get(OutboundReply, rid)
        assert row is not None and row.status == "needs_check"


def test_message_after_the_reopen_window_starts_a_new_case(db: Database) -> None:
    ann, _, _ = setup_team(db)
    case = run_rules(db, store_post(db, "t1", "carla"))
    assert case is not None
    with db.session() as s:
        cases.change_status(s, case_id=case.id, action="resolve", actor_id=ann, now=T0)
    later = T0 + timedelta(hours=2)
    iid = store_post(db, "t2", "carla", reply_to="t1", minutes=120)
    with db.session() as s:
        new = apply_rules(
            s,
            interaction_id=iid,
            ruleset=load_rules(s),
            now=later,
            reopen_window=timedelta(hours=1),
        )
        assert new is not None and new.id != case.id and new.status == "open"
        old = s.get(Case, case.id)
        assert old is not None and old.status == "resolved"


def _value(db: Database, contact_id: int, clv: float, run_id: int | None = None) -> int:
    from datetime import date

    from groundswell.crm.clv.models import ClvModelRun, CustomerValue

    with db.session() as s:
        if run_id is None:
            run = ClvModelRun(
                triggered_by="test",
                cutoff=date(2026, 1, 1),
                customers=2,
                repeat_customers=2,
                horizon_weeks=52.0,
                annual_discount_rate=0.1,
                status="fitted",
            )
            s.add(run)
            s.flush()
            run_id = run.id
        s.add(
            CustomerValue(
                contact_id=contact_id,
                run_id=run_id,
                purchases=3,
                repeat_purchases=2,
                total_amount=clv,
                first_purchase=date(2025, 1, 1),
                last_purchase=date(2025, 12, 1),
                p_alive=0.9,
                expected_purchases=1.0,
                expected_spend=clv,
                clv=clv,
            )
        )
        return run_id


def test_case_priority_takes_the_customers_lifetime_value(db: Database) -> None:
    setup_team(db)
    cheap = store_post(db, "v1", "dora")
    dear = store_post(db, "v2", "emil")
    unknown = store_post(db, "v3", "finn")
    with db.session() as s:
        from groundswell.crm.models import Interaction

        contact = {i: s.get(Interaction, i).contact_id for i in (cheap, dear, unknown)}  # type: ignore[union-attr]
    run_id = _value(db, contact[cheap], 10.0)
    _value(db, contact[dear], 900.0, run_id)
    by = {i: run_rules(db, i) for i in (cheap, dear, unknown)}
    assert all(case is not None for case in by.values())
    assert by[dear].customer_value > 0.5 > by[cheap].customer_value  # type: ignore[union-attr]
    assert by[unknown].customer_value == 0.5  # type: ignore[union-attr]
    assert by[dear].priority_score > by[cheap].priority_score  # type: ignore[union-attr]
    assert any("customer value" in str(r) for r in by[dear].priority_reasons)  # type: ignore[union-attr]


def test_a_late_post_starts_its_clock_when_the_customer_wrote(db: Database) -> None:
    """A post that reaches the rules 20 minutes after it was written (a connector that
    was down) is 20 minutes into its first-response target, not at its start."""
    setup_team(db)
    iid = store_post(db, "late1", "dora")
    case = run_rules(db, iid, now=T0 + timedelta(minutes=20))
    assert case is not None
    assert case.opened_at == T0
    assert case.first_response_due == T0 + timedelta(minutes=60)
    # A post stamped in the future (a skewed clock) starts no earlier than now.
    ahead = store_post(db, "ahead1", "ed", minutes=30)
    case = run_rules(db, ahead, now=T0 + timedelta(minutes=25))
    assert case is not None and case.opened_at == T0 + timedelta(minutes=25)


def test_posts_older_than_the_horizon_open_no_case(db: Database) -> None:
    """An import of old posts must not fill the inbox with cases long past their SLA;
    a young post still opens one, and the old one is not acted on when redelivered."""
    setup_team(db)
    old = store_post(db, "old1", "fay")
    young = store_post(db, "young1", "gus", minutes=100)
    now = T0 + timedelta(minutes=120)
    with db.session() as s:
        ruleset = load_rules(s)
        for _ in range(2):
            assert (
                apply_rules(
                    s, interaction_id=old, ruleset=ruleset, now=now, horizon=timedelta(minutes=60)
                )
                is None
            )
        opened = apply_rules(
            s, interaction_id=young, ruleset=ruleset, now=now, horizon=timedelta(minutes=60)
        )
        assert opened is not None
        applied = s.scalars(
            select(RuleApplication.rule_id).where(RuleApplication.interaction_id == old)
        ).all()
    assert applied == [0]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1


def test_a_rule_that_sets_urgent_gives_the_case_the_urgent_policy(db: Database) -> None:
    """The case opens under the standard policy (60 minutes); the rule then sets it
    urgent, and the urgent policy's 15 minutes apply, counted from the same start."""
    setup_team(db)
    with db.session() as s:
        s.add(
            SlaPolicy(
                name="Urgent",
                priority="urgent",
                first_response_min=15,
                next_response_min=30,
                resolution_min=240,
                warn_before_min=5,
                timezone="UTC",
                hours={},
                notify_kind="in_app",
                active=True,
            )
        )
        rule = s.scalars(select(Rule)).one()
        rule.actions = [*rule.actions, {"type": "set_priority", "priority": "urgent"}]
    iid = store_post(db, "urg1", "hal")
    case = run_rules(db, iid, now=T0 + timedelta(minutes=5))
    assert case is not None and case.priority_label == "urgent"
    with db.session() as s:
        urgent = s.scalars(select(SlaPolicy).where(SlaPolicy.name == "Urgent")).one()
    assert case.sla_policy_id == urgent.id
    assert case.first_response_due == T0 + timedelta(minutes=15)
    assert case.resolution_due == T0 + timedelta(minutes=240)
    assert case.next_due_at == case.first_response_due
    # Set back to normal by a person: the standard policy's 60 minutes again.
    with db.session() as s:
        c = s.get(Case, case.id)
        assert c is not None
        cases.set_priority(s, case=c, level="normal", actor_id=None, now=T0 + timedelta(minutes=8))
        assert c.first_response_due == T0 + timedelta(minutes=60)


def _two_cases_of_one_customer(db: Database) -> tuple[int, int]:
    """Two active cases that came to one contact (as after merging two contacts)."""
    setup_team(db)
    first = run_rules(db, store_post(db, "dup1", "ivy", text="lost my bag, awful"))
    second = run_rules(
        db,
        store_post(db, "dup2", "ivy_other", text="still no bag, awful", minutes=5),
        now=T0 + timedelta(minutes=5),
    )
    assert first is not None and second is not None and first.id != second.id
    with db.session() as s:
        c2 = s.get(Case, second.id)
        assert c2 is not None
        c2.contact_id = first.contact_id
        c2.tags = ["complaint", "vip"]
        cases.add_note(s, case_id=second.id, author_id=None, text="called twice", now=T0)
    return first.id, second.id


def test_merging_a_duplicate_case_keeps_one_case_per_customer(db: Database) -> None:
    from groundswell.engagement.case_merge import merge_into
    from groundswell.engagement.models import CaseConversation, Note

    kept, dup = _two_cases_of_one_customer(db)
    now = T0 + timedelta(minutes=10)
    with db.session() as s:
        merge_into(s, target_id=kept, source_id=dup, actor_id=None, now=now)
    with db.session() as s:
        target, source = s.get(Case, kept), s.get(Case, dup)
        assert target is not None and source is not None
        assert source.status == "closed" and source.resolved_at == now
        assert target.status in ("new", "open")
        links = s.scalars(select(CaseConversation.case_id)).all()
        assert set(links) == {kept} and len(links) == 2
        assert [n.case_id for n in s.scalars(select(Note))] == [kept]
        assert "vip" in target.tags
        # Unanswered: the earlier first-response target of the two stands.
        assert target.first_response_due == T0 + timedelta(minutes=60)
        kinds = {(e.case_id, e.kind): e.data for e in s.scalars(select(CaseEvent))}
        assert kinds[(kept, "merged")]["source_id"] == dup
        assert kinds[(dup, "merged")]["into_id"] == kept
    # The customer writes again on the merged case's conversation: it joins the kept case.
    again = store_post(db, "dup3", "ivy_other", text="hello? awful", minutes=12, reply_to="dup2")
    joined = run_rules(db, again, now=T0 + timedelta(minutes=12))
    assert joined is not None and joined.id == kept


def test_a_merge_is_refused_across_customers_or_closed_cases(db: Database) -> None:
    from groundswell.engagement.case_merge import merge_into

    kept, dup = _two_cases_of_one_customer(db)
    other = run_rules(db, store_post(db, "x1", "zed"))
    assert other is not None
    with db.session() as s:
        for target, source, field in (
            (kept, kept, "source_id"),
            (kept, other.id, "source_id"),
        ):
            with pytest.raises(InvalidInputError) as err:
                merge_into(s, target_id=target, source_id=source, actor_id=None, now=T0)
            assert err.value.field == field
        c = s.get(Case, dup)
        assert c is not None
        c.status = "resolved"
        with pytest.raises(InvalidInputError) as err:
            merge_into(s, target_id=kept, source_id=dup, actor_id=None, now=T0)
        assert err.value.field == "source_id" and "resolved" in str(err.value)


def test_setting_a_level_that_has_a_policy_starts_the_clock_of_a_case_without_one(
    db: Database,
) -> None:
    """Only an urgent policy exists: a case opened at normal has no clock until a person
    sets it urgent; then its targets count from the opening."""
    setup_team(db)
    with db.session() as s:
        for p in s.scalars(select(SlaPolicy)):
            p.priority = "urgent"
            p.first_response_min = 15
    case = run_rules(db, store_post(db, "np1", "kim", text="meh", score=-0.1))
    assert case is not None and case.sla_policy_id is None and case.next_due_at is None
    with db.session() as s:
        c = s.get(Case, case.id)
        assert c is not None
        cases.set_priority(s, case=c, level="urgent", actor_id=None, now=T0 + timedelta(minutes=3))
        assert c.sla_policy_id is not None
        assert c.first_response_due == T0 + timedelta(minutes=15)
        assert c.next_due_at == c.first_response_due


def test_breaching_soon_means_inside_the_policys_warning_window_or_past_due(
    db: Database,
) -> None:
    """Standard policy: 60 minutes, warned 15 before. At T0+50 the case opened at T0 is
    in its warning window, the one opened at T0+40 is not, the one opened at T0-70 is
    past due; a flat hour would have listed all three."""
    from groundswell.engagement import inbox
    from groundswell.engagement.schemas import InboxFilters

    ann, _bob, _q = setup_team(db)
    opened = {}
    for ext, author, minutes in (("w1", "amy", 0), ("w2", "ben", 40), ("w3", "cal", -70)):
        case = run_rules(
            db, store_post(db, ext, author, minutes=minutes), now=T0 + timedelta(minutes=minutes)
        )
        assert case is not None
        opened[ext] = case.id
    now = T0 + timedelta(minutes=50)
    with db.session() as s:
        page = inbox.list_cases(s, user_id=ann, filters=InboxFilters(view="breaching"), now=now)
        assert sorted(c.id for c in page.cases) == sorted([opened["w1"], opened["w3"]])
        assert inbox.counts_by_view(s, user_id=ann, now=now)["breaching"] == 2
