"""The demo's team answers and resolves cases through engagement's actions, and the Team
dashboard's figures come from those cases (the rollup is filled as they change)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engagement_world import store_post
from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.hooks import install
from groundswell.analytics.engagement.queries import period_summary
from groundswell.auth.models import User
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.demo.engagement_setup import ensure_engagement
from groundswell.demo.standin import register_standins
from groundswell.demo.team_at_work import WORKER_EMAIL, TeamAtWork
from groundswell.engagement import actions
from groundswell.engagement.models import Case
from groundswell.engagement.reply_models import OutboundReply
from groundswell.listening.models import Subject
from groundswell.settings import Settings


def _team_with_cases(db: Database, settings: Settings, cases: int) -> TeamAtWork:
    """Unhappy posts about a brand, the demo's engagement set-up opening cases, the team."""
    install()
    with db.session() as s:
        brand = Subject(name="United", kind="brand", query="united")
        s.add(brand)
        s.flush()
        brand_id = brand.id
    for i in range(cases):
        store_post(
            db,
            f"d{i}",
            f"user{i}",
            text="united lost my bag again",
            subjects=(brand_id,),
            at=utcnow(),
        )
    ensure_engagement(db, password="a long enough password", open_cases=cases)
    registry = ConnectorRegistry()
    register_standins(registry, ["twitter"])
    return TeamAtWork(db, settings, speed=1.0, connectors=registry)


def test_demo_team_fills_the_dashboard(db: Database, settings: Settings) -> None:
    team = _team_with_cases(db, settings, 3)
    start = utcnow()
    answered, _, _ = team.step(now=start + timedelta(minutes=4), batch=5)
    assert answered >= 1
    _, resolved, _ = team.step(now=start + timedelta(minutes=20), batch=5)
    assert resolved == answered
    team.step(now=start + timedelta(minutes=21), batch=5)
    with db.session() as s:
        today = start.date()
        summary = period_summary(s, today - timedelta(days=1), today + timedelta(days=1))
    assert summary.cases_opened >= answered
    assert summary.cases_resolved == resolved
    assert summary.first_response_median is not None
    # answered about 4 minutes after opening
    assert abs(summary.first_response_median - 240) <= 240 * histogram.RELATIVE_ERROR + 5
    assert summary.sla_attainment == 1.0


def test_a_case_answered_after_the_team_chose_it_is_not_answered_again(
    db: Database, settings: Settings
) -> None:
    """The team chooses in one transaction and acts in others, so it checks again."""
    team = _team_with_cases(db, settings, 1)
    later = utcnow() + timedelta(minutes=4)
    with db.session() as s:
        ann = s.scalars(select(User).where(User.email == WORKER_EMAIL)).one()
        actor = actions.Actor(id=ann.id, role=ann.role, name="Ann")
    with db.session(write=True) as s:
        case = s.scalars(select(Case).where(Case.first_responded_at.is_(None))).first()
        assert case is not None
        case.first_responded_at = later  # a visitor answered it meanwhile
        case_id = case.id
    assert team._answer(case_id, actor, None, later) is False
    with db.session() as s:
        replies = s.scalar(
            select(func.count()).select_from(OutboundReply).where(OutboundReply.case_id == case_id)
        )
    assert replies == 0
    with db.session(write=True) as s:
        s.get(Case, case_id).first_responded_at = None  # type: ignore[union-attr]
    assert team._answer(case_id, actor, None, later) is True  # the check can pass too


def test_the_team_answers_the_case_it_can_still_answer_in_time(
    db: Database, settings: Settings
) -> None:
    """A case already past its target waits; the one whose target is still ahead is
    answered first, so the demo's attainment is not spent on the history's backlog."""
    team = _team_with_cases(db, settings, 2)
    now = utcnow() + timedelta(minutes=4)
    with db.session(write=True) as s:
        late, fresh = s.scalars(select(Case).order_by(Case.id)).all()
        late.next_due_at = late.first_response_due = now - timedelta(minutes=1)
        late_id, fresh_id = late.id, fresh.id
    answered, _, _ = team.step(now=now, batch=1)
    assert answered == 1
    with db.session() as s:
        assert s.get(Case, fresh_id).first_responded_at is not None  # type: ignore[union-attr]
        assert s.get(Case, late_id).first_responded_at is None  # type: ignore[union-attr]
    # With nothing left that can be met, the oldest is answered after all.
    answered, _, _ = team.step(now=now + timedelta(seconds=1), batch=1)
    assert answered == 1
    with db.session() as s:
        assert s.get(Case, late_id).first_responded_at is not None  # type: ignore[union-attr]
