"""``/api/v1/digest`` and its subscriptions, and the digest pages, with bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from digest_world import DAY, XSS, build
from groundswell.analytics.digest.schemas import SubscriptionCreate
from groundswell.analytics.digest.subscriptions import create_subscription
from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.db import Database
from groundswell.listening.models import Subject
from groundswell.settings import Settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedded_worker=False)) as c:
        yield c


def _token(db: Database, email: str, role: str) -> dict[str, str]:
    with db.session() as s:
        user = create_user(s, data=UserCreate(email=email, password="x" * 12, role=role))  # type: ignore[arg-type]
        token = create_api_token(s, user_id=user.id, name="t")
        return {"Authorization": "Bearer " + token}


def test_digest_json(db: Database, client: TestClient) -> None:
    ids = build(db)
    headers = _token(db, "a@example.com", "agent")
    answer = client.get(
        "/api/v1/digest",
        params={"subject_id": ids["brand"], "period": "day", "date": DAY.isoformat()},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["moved"]["volume"]["value"] == 240
    assert body["team"]["current"]["cases_opened"] == 8
    assert body["actions"][0]["kind"] == "unanswered"
    for params, field in (
        ({"subject_id": ids["topic"]}, "subject_id"),
        ({"subject_id": ids["brand"], "tz": "Nowhere/City"}, "tz"),
        ({"subject_id": ids["brand"], "period": "month"}, "period"),
        ({"subject_id": ids["brand"], "date": "2026-13-01"}, "date"),
        ({"subject_id": ids["brand"], "date": "0001-01-01"}, "date"),
        ({"subject_id": ids["brand"], "date": "9999-12-31", "period": "week"}, "date"),
        ({"subject_id": "9" * 30}, "subject_id"),
    ):
        bad = client.get("/api/v1/digest", params=params, headers=headers)
        assert bad.status_code == 422, (params, bad.text)
        assert field in bad.text
    assert (
        client.get("/api/v1/digest", params={"subject_id": 999}, headers=headers).status_code == 404
    )


def test_subscriptions_api(db: Database, client: TestClient) -> None:
    ids = build(db)
    manager = _token(db, "m@example.com", "analyst")
    agent = _token(db, "g@example.com", "agent")
    good = {
        "email": "Boss@Example.com",
        "subject_id": ids["brand"],
        "period": "week",
        "send_hour": 8,
        "timezone": "America/New_York",
    }
    assert client.post("/api/v1/digest/subscriptions", json=good, headers=agent).status_code == 403
    made = client.post("/api/v1/digest/subscriptions", json=good, headers=manager)
    assert made.status_code == 201, made.text
    assert made.json()["email"] == "boss@example.com"
    again = client.post("/api/v1/digest/subscriptions", json=good, headers=manager)
    assert again.status_code == 422 and "email" in again.text
    for change, field in (
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"send_hour": 24}, "send_hour"),
        ({"email": "not an address"}, "email"),
        ({"email": "x@" + "a" * 400 + ".com"}, "email"),
        ({"subject_id": ids["topic"]}, "subject_id"),
        ({"period": "hourly"}, "period"),
    ):
        bad = client.post("/api/v1/digest/subscriptions", json={**good, **change}, headers=manager)
        assert bad.status_code == 422, (change, bad.text)
        assert field in bad.text, (change, bad.text)
    listed = client.get("/api/v1/digest/subscriptions", headers=manager).json()
    assert [s["subject_name"] for s in listed] == ["Acme Air"]
    sid = listed[0]["id"]
    assert client.delete(f"/api/v1/digest/subscriptions/{sid}", headers=manager).status_code == 204
    assert client.delete(f"/api/v1/digest/subscriptions/{sid}", headers=manager).status_code == 404


def _login(client: TestClient, db: Database, role: str) -> str:
    with db.session() as s:
        create_user(s, data=UserCreate(email=f"{role}@example.com", password="x" * 12, role=role))  # type: ignore[arg-type]
    page = client.get("/login")
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    client.post(
        "/login",
        data={"email": f"{role}@example.com", "password": "x" * 12, "csrf_token": csrf.group(1)},
    )
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/digest/subscriptions").text
    )
    return token.group(1) if token else ""


def test_pages(db: Database, client: TestClient) -> None:
    ids = build(db)
    csrf = _login(client, db, "admin")
    page = client.get(f"/digest?subject_id={ids['brand']}&period=day&date={DAY.isoformat()}")
    assert page.status_code == 200
    assert "What to do" in page.text and XSS not in page.text
    assert 'href="/digest"' in page.text
    assert client.get("/digest?date=yesterday").status_code == 422
    pdf = client.get(f"/digest.pdf?subject_id={ids['brand']}&date={DAY.isoformat()}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    form = {
        "csrf_token": csrf,
        "email": "cfo@example.com",
        "subject_id": str(ids["brand"]),
        "period": "day",
        "send_hour": "7",
        "timezone": "Asia/Tokyo",
    }
    assert client.post("/digest/subscriptions", data=form).status_code == 200  # after the redirect
    bad = client.post("/digest/subscriptions", data={**form, "timezone": "Tokyo"})
    assert bad.status_code == 422 and 'data-field="timezone"' in bad.text
    assert "cfo@example.com" in client.get("/digest/subscriptions").text


def test_page_opens_on_the_digest_the_user_subscribes_to(db: Database, client: TestClient) -> None:
    ids = build(db)
    _login(client, db, "analyst")
    first = client.get("/digest")
    assert first.status_code == 200
    assert f'<option value="{ids["brand"]}" selected>' in first.text  # no subscription yet
    with db.session() as s:
        create_subscription(
            s,
            SubscriptionCreate(
                email="Analyst@Example.com",
                subject_id=ids["rival"],
                period="week",
                timezone="Asia/Tokyo",
            ),
            created_by=None,
        )
    page = client.get("/digest")
    assert f'<option value="{ids["rival"]}" selected>' in page.text
    assert '<option value="week" selected>' in page.text
    assert 'value="Asia/Tokyo"' in page.text
    # What the query names still wins over the subscription.
    asked = client.get(f"/digest?subject_id={ids['brand']}&period=day")
    assert f'<option value="{ids["brand"]}" selected>' in asked.text
    assert '<option value="day" selected>' in asked.text
    pdf = client.get("/digest.pdf")
    assert pdf.status_code == 200
    assert f"digest-{ids['rival']}-week-" in pdf.headers["content-disposition"]
    # A subscribed subject since made a topic has no digest: the page opens on the first brand.
    with db.session() as s:
        rival = s.get(Subject, ids["rival"])
        assert rival is not None
        rival.kind = "topic"
    fallback = client.get("/digest")
    assert fallback.status_code == 200
    assert f'<option value="{ids["brand"]}" selected>' in fallback.text
