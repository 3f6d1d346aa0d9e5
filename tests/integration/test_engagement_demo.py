"""Demo set-up for engagement, CSAT links and presence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engagement_world import T0, store_post
from groundswell.channels.base import Reply
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.db import Database
from groundswell.demo.engagement_setup import ensure_engagement
from groundswell.demo.standin import StandInNetwork, register_standins
from groundswell.engagement import csat
from groundswell.engagement.config_models import CannedResponse, Rule, SlaPolicy
from groundswell.engagement.models import Case
from groundswell.engagement.presence import PresenceBoard
from groundswell.engagement.rules.service import apply_rules, load_rules
from groundswell.listening.models import Subject


def test_demo_setup_is_complete_and_repeatable(db: Database) -> None:
    with db.session() as s:
        s.add(Subject(name="United", kind="brand", query="united"))
    store_post(db, "d1", "carla", text="united lost my bag", subjects=())
    first = ensure_engagement(db, password="a long enough password")
    assert first and "care team" in first[0]
    assert ensure_engagement(db, password="a long enough password") == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Rule)) == 3
        assert s.scalar(select(func.count()).select_from(SlaPolicy)) == 2
        assert s.scalar(select(func.count()).select_from(CannedResponse)) == 3


def test_an_unhappy_customer_on_another_network_gets_a_case(db: Database) -> None:
    """Not only X: a complaint on the demo's Mastodon stand-in opens a case in Care."""
    ensure_engagement(db, password="a long enough password", open_cases=0)
    iid = store_post(db, "m1", "dee", channel="mastodon", subjects=())
    calm = store_post(db, "m2", "fay", channel="mastodon", label="positive", subjects=())
    with db.session() as s:
        ruleset = load_rules(s)
        case = apply_rules(s, interaction_id=iid, ruleset=ruleset, now=T0)
        assert case is not None and case.channel == "mastodon"
        assert "complaint" in (case.tags or [])
        assert apply_rules(s, interaction_id=calm, ruleset=ruleset, now=T0) is None


def test_csat_link_single_use_and_expiring(db: Database) -> None:
    store_post(db, "c1", "carla")
    with db.session() as s:
        case = Case(
            subject="x",
            channel="twitter",
            status="resolved",
            opened_at=T0,
            last_activity_at=T0,
            tags=[],
            intents=[],
            priority_reasons=[],
            version=1,
        )
        s.add(case)
        s.flush()
        token = csat.create_survey(s, case_id=case.id, secret="k", now=T0, days=7)
    with db.session() as s:
        with pytest.raises(csat.CsatRefused) as info:
            csat.answer(s, token=token, secret="other", score=5, comment=None, now=T0)
        assert info.value.status == 404
        with pytest.raises(csat.CsatRefused, match="expired"):
            csat.answer(
                s, token=token, secret="k", score=5, comment=None, now=T0 + timedelta(days=8)
            )
        csat.answer(s, token=token, secret="k", score=4, comment=" fine ", now=T0)
    with db.session() as s, pytest.raises(csat.CsatRefused, match="already"):
        csat.answer(s, token=token, secret="k", score=1, comment=None, now=T0)


def test_presence_keeps_typing_then_expires() -> None:
    board = PresenceBoard(ttl_s=15)
    board.touch(1, 10, "Ann", "typing", now=100.0)
    board.touch(1, 10, "Ann", "viewing", now=103.0)
    assert [(p.name, p.state) for p in board.others(1, 11, now=104.0)] == [("Ann", "typing")]
    board.touch(1, 10, "Ann", "viewing", now=112.0)
    assert [p.state for p in board.others(1, 11, now=112.0)] == ["viewing"]
    assert board.others(1, 11, now=130.0) == []
    assert board.others(1, 10, now=112.0) == []


def test_standin_is_idempotent_and_never_replaces_a_connector() -> None:
    registry = ConnectorRegistry()
    real = StandInNetwork("email", label="real")
    registry.register(real)
    assert register_standins(registry, ["twitter", "email", " "]) == ["twitter"]
    assert registry.get("email") is real
    net = registry.get("twitter")
    reply = Reply(channel="twitter", text="hi", idempotency_key="k1")
    first = net.send_reply(reply)
    assert net.send_reply(reply) == first
    assert net.lookup_sent(reply) == first
    assert net.lookup_sent(Reply(channel="twitter", text="hi", idempotency_key="k2")) is None
