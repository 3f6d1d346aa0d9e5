"""The Team report for one segment: only the segment's contacts' cases count, with the
same figures the rollup gives when the segment holds every contact."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from gs_webtest import Factory, login

from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.note_models import ContactTag
from groundswell.crm.segments import SegmentFilter, SegmentIn, create_segment
from groundswell.engagement.models import Case

API = "/api/v1/analytics/engagement"


def _world(db: Database, factory: Factory) -> tuple[int, int]:
    """VIP contact: 2 resolved email cases (10 min answers), 1 open, 1 resolved 60 days
    ago. Other contact: 5 resolved twitter cases (60 min answers), 1 open."""
    vip, other = factory.contact("Vera Vip"), factory.contact("Otto Other")
    now = utcnow()
    opened = now - timedelta(hours=5)

    def case(contact: int, channel: str, answer_min: int | None, *, at: datetime = opened) -> Case:
        return Case(
            contact_id=contact,
            subject="s",
            channel=channel,
            status="resolved" if answer_min else "open",
            opened_at=at,
            first_responded_at=at + timedelta(minutes=answer_min) if answer_min else None,
            resolved_at=at + timedelta(hours=2) if answer_min else None,
        )

    with db.session() as s:
        s.add(ContactTag(contact_id=vip, tag="vip", created_by="test"))
        s.add_all([case(vip, "email", 10) for _ in range(2)])
        s.add(case(vip, "email", None))
        s.add(case(vip, "email", 10, at=now - timedelta(days=60)))
        s.add_all([case(other, "twitter", 60) for _ in range(5)])
        s.add(case(other, "twitter", None))
        vips = create_segment(
            s, data=SegmentIn(name="VIP", filter=SegmentFilter(tags=["vip"])), owner_id=None
        ).id
        everyone = create_segment(s, data=SegmentIn(name="Everyone"), owner_id=None).id
    return vips, everyone


def test_segment_limits_the_team_figures(
    client: TestClient, db: Database, factory: Factory
) -> None:
    token = factory.token(factory.user(role="lead"))
    vips, everyone = _world(db, factory)
    headers = {"Authorization": f"Bearer {token}"}

    whole = client.get(f"{API}?days=7", headers=headers).json()
    assert (whole["total"]["opened"], whole["total"]["backlog"]) == (9, 2)

    r = client.get(f"{API}?days=7&segment_id={vips}", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"]["opened"] == 3
    assert body["total"]["resolved"] == 2
    assert body["total"]["backlog"] == 1
    assert body["total"]["backlog_age"]["count"] == 1
    assert body["total"]["first_response"]["wall"]["count"] == 2
    assert [g["key"] for g in body["groups"]] == ["email"]

    same = client.get(f"{API}?days=7&segment_id={everyone}", headers=headers).json()
    for figures in [same["total"], whole["total"], *same["groups"], *whole["groups"]]:
        figures["backlog_age"].pop("mean")  # ages from each request's own clock
    assert same["total"] == whole["total"]
    assert same["groups"] == whole["groups"]

    fair = client.get(f"{API}/fairness?days=7&segment_id={vips}", headers=headers).json()
    assert [c["channel"] for c in fair["channels"]] == ["email"]
    csv = client.get(f"{API}/export.csv?days=7&segment_id={vips}", headers=headers)
    assert csv.status_code == 200
    assert "twitter" not in csv.text and "email" in csv.text

    assert client.get(f"{API}?segment_id=999999", headers=headers).status_code == 404
    bad = client.get(f"{API}?segment_id=0", headers=headers)
    assert bad.status_code == 422 and "segment_id" in bad.text


def test_team_page_takes_a_segment(client: TestClient, db: Database, factory: Factory) -> None:
    factory.user(role="lead")
    vips, _ = _world(db, factory)
    login(client)
    page = client.get(f"/team?days=7&segment_id={vips}")
    assert page.status_code == 200
    assert 'data-kpi="opened">3<' in page.text
    assert f"segment_id={vips}" in page.text  # the poll and the CSV link keep it
    assert 'data-kpi="opened">9<' in client.get("/team?days=7").text
    figures = client.get(f"/team/figures?days=7&segment_id={vips}")
    assert 'data-kpi="backlog">1<' in figures.text
    assert client.get("/team?segment_id=999999").status_code == 404
    assert client.get("/team?segment_id=x").status_code == 422
