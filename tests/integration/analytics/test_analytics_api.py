"""The analytics API: figures for the right roles, 422 naming the field, CSV streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from groundswell.analytics.exports import CASE_HEADER
from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Contact
from groundswell.engagement.models import Case
from groundswell.settings import Settings


def token(db: Database, role: str) -> dict[str, str]:
    with db.session() as s:
        user = create_user(
            s,
            data=UserCreate(email=f"{role}@example.com", password="x" * 12, role=role),  # type: ignore[arg-type]
        )
        return {"Authorization": "Bearer " + create_api_token(s, user_id=user.id, name="t")}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, embedded_worker=False)
    with TestClient(app) as c:
        yield c


def test_figures_and_fairness(client: TestClient, db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        for i in range(50):
            opened = now - timedelta(hours=5)
            s.add(
                Case(
                    subject=f"c{i}",
                    channel="email" if i % 2 else "twitter",
                    status="resolved",
                    opened_at=opened,
                    first_responded_at=opened + timedelta(minutes=10 if i % 2 else 60),
                    resolved_at=opened + timedelta(hours=2),
                )
            )
    lead = token(db, "lead")
    r = client.get("/api/v1/analytics/engagement?days=7&group_by=channel", headers=lead)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"]["opened"] == 50
    by = {g["key"]: g for g in body["groups"]}
    assert by["email"]["first_response"]["wall"]["count"] == 25
    f = client.get("/api/v1/analytics/engagement/fairness?days=7&basis=wall", headers=lead)
    assert f.status_code == 200, f.text
    fair = {c["channel"]: c for c in f.json()["channels"]}
    assert fair["twitter"]["lagging"] is True  # 60 min against 10 min, 25 cases each
    assert fair["email"]["lagging"] is False

    agent = token(db, "agent")
    assert client.get("/api/v1/analytics/engagement", headers=agent).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-03-10&end=2026-03-01", "end"),
        ("start=2024-01-01&end=2026-03-01", "start"),
        ("start=2026-13-45", "start"),
        ("end=notadate", "end"),
        ("days=0", "days"),
        ("days=401", "days"),
        ("days=99999999999999999999", "days"),
        ("group_by=planet", "group_by"),
        ("end=0001-01-01&days=400", "days"),
    ],
)
def test_bad_periods_are_422_naming_the_field(
    client: TestClient, db: Database, query: str, field: str
) -> None:
    lead = token(db, "lead")
    for path in ("/api/v1/analytics/engagement", "/api/v1/analytics/engagement/fairness"):
        if "group_by" in query and "fairness" in path:
            continue
        r = client.get(f"{path}?{query}", headers=lead)
        assert r.status_code == 422, (path, query, r.text)
        assert field in {e["field"].split(".")[-1] for e in r.json()["errors"]}, r.text


def test_csv_exports_stream_every_row_escaped(client: TestClient, db: Database) -> None:
    with db.session() as s:
        s.add_all(
            Contact(
                display_name=('=HYPERLINK("http://x")' if i == 7 else f"Person {i}"),
                email=f"p{i}@example.com",
            )
            for i in range(12_345)
        )
        s.add(Case(subject="+cmd|' /C calc'!A0", channel="twitter"))
    lead = token(db, "lead")
    r = client.get("/api/v1/exports/contacts.csv", headers=lead)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "display_name", "email"]
    assert len(rows) == 1 + 12_345
    assert len({row[0] for row in rows[1:]}) == 12_345
    names = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names and "Person 12344" in names
    c = client.get("/api/v1/exports/cases.csv?status=active", headers=lead)
    cases = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert cases[1][1] == "'+cmd|' /C calc'!A0"
    opened = datetime.fromisoformat(cases[1][CASE_HEADER.index("opened_at")])
    assert opened.utcoffset() == timedelta(0) and abs(opened - utcnow()) < timedelta(hours=1)
    assert cases[1][CASE_HEADER.index("resolved_at")] == ""
    rep = client.get("/api/v1/analytics/engagement/export.csv?days=3", headers=lead)
    assert rep.status_code == 200 and rep.text.splitlines()[-1].startswith("all,")
    assert client.get("/api/v1/exports/cases.csv", headers=token(db, "agent")).status_code == 403


def test_posts_and_alerts_export_hide_private_text_and_are_audited(
    client: TestClient, db: Database
) -> None:
    from sqlalchemy import select, update

    from engagement_world import store_post
    from groundswell.analytics.exports import POST_HEADER
    from groundswell.auth.models import AuditEntry
    from groundswell.crm.models import Interaction

    store_post(db, "t1", "carla", text="@united =1+1 my bag is lost")
    store_post(db, "m1", "maria", text="my card number is private", channel="email")
    dm = store_post(db, "fb1", "ana", text="messenger: my passport is X123", channel="facebook")
    with db.session() as s:  # a Messenger message on the page's channel
        s.execute(update(Interaction).where(Interaction.id == dm).values(private=True))
    analyst, admin = token(db, "analyst"), token(db, "admin")

    def posts(headers: dict[str, str], query: str = "") -> list[list[str]]:
        r = client.get("/api/v1/exports/posts.csv" + query, headers=headers)
        assert r.status_code == 200, r.text
        return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))

    text = POST_HEADER.index("text")
    analyst_rows = posts(analyst)[1:]
    seen = {row[POST_HEADER.index("channel")]: row[text] for row in analyst_rows}
    # a cell starting with @ is quoted against spreadsheet formulas; private text is hidden
    assert seen == {"twitter": "'@united =1+1 my bag is lost", "email": "", "facebook": ""}
    flagged = {
        row[POST_HEADER.index("channel")]: row[POST_HEADER.index("private")] for row in analyst_rows
    }
    assert flagged == {"twitter": "false", "email": "true", "facebook": "true"}
    assert {row[text] for row in posts(admin)[1:]} >= {
        "my card number is private",
        "messenger: my passport is X123",
    }
    only = posts(admin, "?channel=email")
    assert [row[POST_HEADER.index("channel")] for row in only[1:]] == ["email"]
    bad = client.get(
        "/api/v1/exports/posts.csv?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
        headers=admin,
    )
    assert bad.status_code == 422 and "until" in bad.text
    alerts = client.get("/api/v1/exports/alerts.csv", headers=analyst)
    assert alerts.status_code == 200
    assert alerts.content.decode("utf-8-sig").startswith("id,subject_id")
    with db.session() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("export.posts") == 3 and "export.alerts" in actions


def test_leads_export_streams_each_lead_with_its_post(client: TestClient, db: Database) -> None:
    from engagement_world import store_post
    from groundswell.analytics.exports import LEAD_HEADER
    from groundswell.crm.leads import promote_leads
    from groundswell.crm.models import Interaction

    iid = store_post(db, "t9", "buyer", text="want to book 2 tickets, price?")
    with db.session() as s:
        row = s.get(Interaction, iid)
        assert row is not None
        row.intent = "purchase_intent"
    with db.session() as s:
        assert promote_leads(s).created == 1
    r = client.get("/api/v1/exports/leads.csv?status=new", headers=token(db, "lead"))
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == list(LEAD_HEADER) and len(rows) == 2
    assert rows[1][LEAD_HEADER.index("text")] == "want to book 2 tickets, price?"
    assert rows[1][LEAD_HEADER.index("status")] == "new"
    bad = client.get("/api/v1/exports/leads.csv?status=won", headers=token(db, "admin"))
    assert bad.status_code == 422 and "status" in bad.text
