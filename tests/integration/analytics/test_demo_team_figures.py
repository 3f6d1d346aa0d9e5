"""The demo's team answers and resolves cases through engagement's actions, and the Team
dashboard's figures come from those cases (the rollup is filled as they change)."""

from __future__ import annotations

from datetime import timedelta

from engagement_world import store_post
from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.hooks import install
from groundswell.analytics.engagement.queries import period_summary
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.demo.engagement_setup import ensure_engagement
from groundswell.demo.standin import register_standins
from groundswell.demo.team_at_work import TeamAtWork
from groundswell.listening.models import Subject
from groundswell.settings import Settings


def test_demo_team_fills_the_dashboard(db: Database, settings: Settings) -> None:
    install()
    with db.session() as s:
        brand = Subject(name="United", kind="brand", query="united")
        s.add(brand)
        s.flush()
        brand_id = brand.id
    for i in range(3):
        store_post(db, f"d{i}", f"user{i}", text="united lost my bag again", subjects=(brand_id,))
    ensure_engagement(db, password="a long enough password", open_cases=3)
    registry = ConnectorRegistry()
    register_standins(registry, ["twitter"])
    team = TeamAtWork(db, settings, speed=1.0, connectors=registry)
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
