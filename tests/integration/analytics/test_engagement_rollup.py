"""Cases with known times give the expected medians, p90, SLA attainment and lift.

The rollup is written by the session hook as the cases are stored, on SQLite and
PostgreSQL; a rebuild from the cases gives the same figures.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from engagement_world import T0, store_post
from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.hooks import install
from groundswell.analytics.engagement.models import EngagementDaily
from groundswell.analytics.engagement.queries import period_summary, report
from groundswell.analytics.engagement.rollup import rebuild
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.engagement.config_models import SlaPolicy
from groundswell.engagement.models import Case, CaseConversation, Queue
from groundswell.engagement.reply_models import CsatSurvey, OutboundReply

ERR = histogram.RELATIVE_ERROR + 1e-9
MONDAY = T0.date()  # 2026-03-02, T0 is 10:00 UTC


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return T0.replace(hour=hour, minute=minute) + timedelta(days=day)


def close(value: float | None, expected: float) -> bool:
    return value is not None and abs(value - expected) <= ERR * expected


def _reply(s: object, case: Case, iid: int, when: datetime, n: int) -> None:
    s.add(  # type: ignore[attr-defined]
        OutboundReply(
            case_id=case.id,
            interaction_id=iid,
            channel=case.channel,
            text="On it",
            idempotency_key=f"k{case.id}-{n}",
            status="sent",
            created_at=when,
            sent_at=when,
        )
    )


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    install()
    a1 = store_post(db, "a1", "ann", minutes=0, score=-0.6)
    a2 = store_post(db, "a2", "ann", minutes=60, score=0.4, label="positive", reply_to="a1")
    b1 = store_post(db, "b1", "bob", minutes=390, channel="facebook")
    c1 = store_post(db, "c1", "cid", minutes=0)
    with db.session() as s:
        policy = SlaPolicy(
            name="Office",
            first_response_min=60,
            resolution_min=480,
            timezone="UTC",
            hours={d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        )
        queue = Queue(name="Care")
        s.add_all([policy, queue])
        s.flush()
        conv = {i.id: i.conversation_id for i in s.scalars(select(Interaction))}

        def case(channel: str, opened: datetime, **kw: object) -> Case:
            row = Case(
                subject="x",
                channel=channel,
                opened_at=opened,
                sla_policy_id=policy.id,
                queue_id=queue.id,
                priority_label="high" if channel == "facebook" else "normal",
                **kw,
            )
            s.add(row)
            s.flush()
            return row

        a = case("twitter", at(0, 10), status="resolved", resolved_at=at(0, 12))
        a.first_responded_at = at(0, 10, 30)
        for cid in {conv[a1], conv[a2]}:
            s.add(CaseConversation(case_id=a.id, conversation_id=cid))
        s.flush()
        _reply(s, a, a1, at(0, 10, 30), 1)
        s.add(
            CsatSurvey(
                case_id=a.id,
                nonce="n1",
                expires_at=at(7, 0),
                answered_at=at(0, 13),
                score=5,
            )
        )
        b = case("facebook", at(0, 16, 30), status="resolved", resolved_at=at(1, 11))
        b.first_responded_at = at(1, 9, 30)
        s.add(CaseConversation(case_id=b.id, conversation_id=conv[b1]))
        s.flush()
        _reply(s, b, b1, at(1, 9, 30), 1)
        c = case("twitter", at(0, 10), status="open")
        c.first_responded_at = at(0, 13)
        s.add(CaseConversation(case_id=c.id, conversation_id=conv[c1]))
        s.flush()
        _reply(s, c, c1, at(0, 13), 1)
        return {"a": a.id, "b": b.id, "c": c.id, "queue": queue.id}


def _check(db: Database) -> None:
    with db.session() as s:
        summary = period_summary(s, MONDAY, MONDAY + timedelta(days=6))
        assert summary.cases_opened == 3
        assert summary.cases_resolved == 2
        assert summary.backlog == 1
        # first responses in business minutes: 30, 60 (30 Monday + 30 Tuesday), 180
        assert close(summary.first_response_median, 60 * 60)
        assert close(summary.first_response_p90, 180 * 60)
        # resolutions: 120 and 150 business minutes
        assert close(summary.resolution_median, 120 * 60)
        assert close(summary.resolution_p90, 150 * 60)
        # first response met 2 of 3, resolution 2 of 2
        assert summary.sla_attainment == pytest.approx(4 / 5)
        assert summary.csat_average == 5

        rep = report(s, MONDAY, MONDAY + timedelta(days=6), "channel", now=at(2, 12))
        by = {g.key: g for g in rep.groups}
        assert set(by) == {"twitter", "facebook"}
        fb = by["facebook"]
        assert close(fb.first_response.wall.median, 17 * 3600)
        assert close(fb.first_response.business.median, 3600)
        assert fb.sla_first_response == 1.0
        tw = by["twitter"]
        assert tw.sla_first_response == 0.5
        assert tw.backlog == 1
        # case C, opened Monday, still open on Wednesday noon: two days old (by opening day)
        assert tw.backlog_age is not None and close(tw.backlog_age.median, 2 * 86400)
        assert rep.total.backlog_age is not None and rep.total.backlog_age.count == 1
        # the mean is exact: opened Monday 10:00, seen Wednesday 12:00
        assert rep.total.backlog_age.mean == pytest.approx(2 * 86400 + 2 * 3600)
        assert tw.sentiment_lift == pytest.approx(1.0)
        assert tw.lift_count == 1
        assert tw.replies_per_case == 1.0
        # a period before the cases: nothing
        empty = period_summary(s, date(2025, 1, 1), date(2025, 1, 31))
        assert empty.cases_opened == 0 and empty.first_response_median is None


def test_hook_keeps_the_rollup_and_rebuild_agrees(db: Database, world: dict[str, int]) -> None:
    _check(db)
    with db.session() as s:
        before = sorted(
            (r.day, r.dim, r.key, r.opened, r.resolved, r.sla_first_met, r.hists)
            for r in s.scalars(select(EngagementDaily))
        )
        rebuild(s)
    with db.session() as s:
        after = sorted(
            (r.day, r.dim, r.key, r.opened, r.resolved, r.sla_first_met, r.hists)
            for r in s.scalars(select(EngagementDaily))
        )
    assert after == before
    _check(db)


def test_reopening_and_reassigning_move_the_figures(db: Database, world: dict[str, int]) -> None:
    with db.session() as s:
        a = s.get(Case, world["a"])
        assert a is not None
        a.status = "open"
        a.resolved_at = None
        a.channel = "facebook"
    with db.session() as s:
        summary = period_summary(s, MONDAY, MONDAY + timedelta(days=6))
        assert summary.cases_resolved == 1
        assert summary.backlog == 2
        rep = report(s, MONDAY, MONDAY + timedelta(days=6), "channel", now=at(2, 12))
        by = {g.key: g for g in rep.groups}
        assert by["facebook"].opened == 2 and by["twitter"].opened == 1
        assert by["facebook"].resolved == 1 and by["twitter"].resolved == 0
