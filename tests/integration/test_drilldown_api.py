"""Drill-down over HTTP (API and page) on SQLite and PostgreSQL, with every bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Identity, Interaction, InteractionSubject
from groundswell.listening.alerts.models import Alert
from groundswell.listening.models import Subject
from groundswell.listening.rollups import RollupInput, add_to_rollups, aggregate
from groundswell.settings import Settings

SPIKE = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
XSS = "<script>alert(1)</script> refund"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedded_worker=False)) as c:
        yield c


@pytest.fixture
def headers(db: Database) -> dict[str, str]:
    with db.session() as s:
        user = create_user(s, data=UserCreate(email="dd@example.com", password="x" * 12))
        return {"Authorization": "Bearer " + create_api_token(s, user_id=user.id, name="t")}


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    """A day of ordinary Acme talk, then 20 minutes of outage complaints, with rollups."""
    with db.session() as s:
        tw = Channel(key="twitter", name="X / Twitter")
        ma = Channel(key="mastodon", name="Mastodon")
        acme = Subject(name="Acme", kind="brand", query="@acme OR acme")
        rival = Subject(name="Rival", kind="competitor", query="rival")
        s.add_all([tw, ma, acme, rival])
        s.flush()
        loud = Contact(display_name="Loud Larry")
        s.add(loud)
        s.flush()
        people = [
            Identity(
                platform="twitter",
                external_id=str(n),
                handle=f"@user{n}",
                followers=10 * n,
                contact_id=loud.id if n == 7 else None,
            )
            for n in range(10)
        ]
        brand = Identity(platform="twitter", external_id="b", handle="@acme", is_brand=True)
        s.add_all([*people, brand])
        s.flush()
        rows: list[Interaction] = []

        def post(
            text: str,
            at: datetime,
            who: Identity,
            label: str,
            *,
            rival_too: bool = False,
            channel: Channel = tw,
            direction: str = "in",
            influence: float = 1.0,
        ) -> None:
            row = Interaction(
                channel_id=channel.id,
                external_id=f"p{len(rows)}",
                direction=direction,
                identity_id=who.id,
                contact_id=who.contact_id,
                text=text,
                created_at=at,
                sentiment_label=label,
                sentiment_score=-0.6 if label == "negative" else 0.3,
                subject_ids=[acme.id, *([rival.id] if rival_too else [])],
                influence=influence,
            )
            s.add(row)
            rows.append(row)

        for k in range(400):
            at = SPIKE - timedelta(hours=24) + timedelta(minutes=3.5 * k)
            post(
                f"@acme order {k} arrived quickly, thanks for the help",
                at,
                people[k % 10],
                "positive",
                rival_too=k % 40 == 0,
            )
        for k in range(60):
            at = SPIKE + timedelta(seconds=20 * k)
            text = f"@acme app outage again, cannot log in to pay my bill #acmedown ({k})"
            if k % 3 == 0:
                text = f"@acme outage means no refund either, switching to rival ({k})"
            post(
                text,
                at,
                people[k % 10],
                "negative",
                rival_too=k % 3 == 0,
                influence=90.0 if k == 7 else 5.0,
                channel=ma if k % 4 == 0 else tw,
            )
        post(XSS, SPIKE + timedelta(minutes=5), people[1], "negative")
        post(XSS, SPIKE + timedelta(minutes=6), people[2], "negative")
        post(
            "@user1 so sorry, we are on it",
            SPIKE + timedelta(minutes=7),
            brand,
            "neutral",
            direction="out",
        )
        s.flush()
        for row in rows:
            s.add(InteractionSubject(interaction_id=row.id, subject_id=acme.id))
            if rival.id in row.subject_ids:
                s.add(InteractionSubject(interaction_id=row.id, subject_id=rival.id))
        inbound = [r for r in rows if r.direction == "in"]
        add_to_rollups(
            s,
            aggregate(
                RollupInput(
                    r.created_at,
                    r.channel_id,
                    r.sentiment_label or "neutral",
                    r.sentiment_score or 0.0,
                    tuple(r.subject_ids),
                )
                for r in inbound
            ),
        )
        alert = Alert(
            subject_id=acme.id,
            metric="negative",
            status="open",
            severity=6,
            started_at=SPIKE,
            last_anomaly_at=SPIKE + timedelta(minutes=15),
            expected=1.0,
            observed=4.0,
        )
        s.add(alert)
        s.flush()
        return {"acme": acme.id, "rival": rival.id, "alert": alert.id, "contact": loud.id}


def _get(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get("/api/v1/drilldown", params=params, headers=headers)


def test_drilldown_of_a_spike(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    resp = _get(
        client,
        headers,
        subject_id=world["acme"],
        start="2024-05-01T14:00:00Z",
        end="2024-05-01T14:20:00Z",
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["volume"]["focus"]["posts"] == 62
    assert body["volume"]["baseline"]["posts"] == 400
    assert body["volume"]["ratio"] > 10
    words = [t["term"] for t in body["terms"]]
    assert {"outage", "#acmedown"} <= set(words)
    assert "thanks" not in words and "@acme" not in words and "acme" not in words
    assert "app outage" in [p["term"] for p in body["phrases"]]
    assert body["sentiment"][0] == {
        "key": "negative",
        "label": "negative",
        "count": 62,
        "share": 1.0,
        "baseline_share": 0.0,  # the day before was all thanks
    }
    assert [c["key"] for c in body["channels"]] == ["twitter", "mastodon"]
    assert [c["baseline_share"] for c in body["channels"]] == [1.0, 0.0]
    assert body["authors"][0]["handle"] == "@user7"
    assert body["authors"][0]["contact_id"] == world["contact"]
    assert all(a["handle"] != "@acme" for a in body["authors"])
    rival = body["cooccurring"][0]
    assert rival["subject"]["name"] == "Rival" and rival["focus_count"] == 20
    assert rival["lift"] > 5
    assert 1 <= len(body["samples"]) <= 6
    assert len({s["id"] for s in body["samples"]}) == len(body["samples"])
    assert body["clusters"] and body["cluster_method"] in ("embeddings", "terms")
    assert body["sampling"]["focus_complete"] is True
    assert "Acme rose to" in body["summary"]
    assert "100% negative (usually 0%)" in body["summary"]
    assert "outage" in body["summary"]


def test_drilldown_of_all_posts_on_one_channel(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    body = _get(
        client, headers, start="2024-05-01T14:00:00", end="2024-05-01T14:20:00", channel="mastodon"
    ).json()
    assert body["subject"] is None and body["channel"] == "mastodon"
    assert body["volume"]["focus"]["posts"] == 15
    assert [c["key"] for c in body["channels"]] == ["mastodon"]
    assert {c["subject"]["name"] for c in body["cooccurring"]} >= {"Acme"}


def test_alert_drilldown_covers_the_episode(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    resp = client.get(f"/api/v1/alerts/{world['alert']}/drilldown", headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["alert_id"] == world["alert"]
    assert body["volume"]["focus"]["start"].startswith("2024-05-01T14:00:00")
    assert body["volume"]["focus"]["end"].startswith("2024-05-01T14:20:00")
    assert "outage" in [t["term"] for t in body["terms"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday", "end": "2024-05-01T14:20:00Z"}, "query.start"),
        ({"start": "2024-05-01T14:00:00Z", "end": "2024-13-01"}, "query.end"),
        ({"end": "2024-05-01T14:20:00Z"}, "query.start"),
        ({"start": "2024-05-01T14:20:00Z", "end": "2024-05-01T14:00:00Z"}, "end"),
        ({"start": "2024-05-01T14:00:00Z", "end": "2024-05-01T14:00:00Z"}, "end"),
        ({"start": "2024-04-01T00:00:00Z", "end": "2024-05-01T00:00:00Z"}, "end"),
        (
            {"start": "2024-05-01T14:00:00Z", "end": "2024-05-01T15:00:00Z", "channel": "fax"},
            "channel",
        ),
        (
            {"start": "2024-05-01T14:00:00Z", "end": "2024-05-01T15:00:00Z", "subject_id": "x"},
            "query.subject_id",
        ),
        (
            {"start": "2024-05-01T14:00:00Z", "end": "2024-05-01T15:00:00Z", "baseline_hours": "0"},
            "query.baseline_hours",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient,
    headers: dict[str, str],
    world: dict[str, int],
    params: dict[str, str],
    field: str,
) -> None:
    resp = _get(client, headers, **params)
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json()["errors"]]


def test_unknown_subject_or_alert_is_404(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    resp = _get(
        client, headers, subject_id=999, start="2024-05-01T14:00:00Z", end="2024-05-01T15:00:00Z"
    )
    assert resp.status_code == 404 and "subject" in resp.json()["detail"]
    resp = client.get("/api/v1/alerts/999/drilldown", headers=headers)
    assert resp.status_code == 404 and "alert" in resp.json()["detail"]


def test_needs_a_token(client: TestClient, world: dict[str, int]) -> None:
    resp = client.get(
        "/api/v1/drilldown", params={"start": "2024-05-01T14:00:00Z", "end": "2024-05-01T15:00:00Z"}
    )
    assert resp.status_code == 401


def _login(client: TestClient) -> None:
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    resp = client.post(
        "/login",
        data={"email": "dd@example.com", "password": "x" * 12, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert resp.status_code == 303


def test_page_shows_summary_sections_and_escapes_posts(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    _login(client)
    resp = client.get(f"/drilldown?alert_id={world['alert']}")
    assert resp.status_code == 200
    html = resp.text
    assert html.index('id="summary"') < html.index('id="terms"') < html.index('id="samples"')
    for section in ("sentiment", "channels", "cooccurring", "authors", "clusters"):
        assert f'id="{section}"' in html
    assert "#acmedown" in html
    assert f'href="/contacts/{world["contact"]}"' in html
    assert "Top authors by influence" in html and '<th class="num">Influence</th>' in html
    assert "<script>alert(1)</script>" not in html
    assert "<script>" not in html.split("</head>", 1)[1]
    assert 'style="' not in html
    page = client.get(
        f"/drilldown?subject_id={world['acme']}&start=2024-05-01T14:00&end=2024-05-01T14:20"
    )
    assert page.status_code == 200 and "rose to" in page.text


def test_without_influence_the_page_names_the_most_active_authors(
    client: TestClient, headers: dict[str, str], world: dict[str, int], db: Database
) -> None:
    """Every influence 0 (no follower counts): no "top by influence" over a column of zeros."""
    with db.session() as s:
        s.execute(update(Interaction).values(influence=0.0))
    _login(client)
    html = client.get(f"/drilldown?alert_id={world['alert']}").text
    authors = html.split('id="authors"')[1].split("</section>")[0]
    assert "Most active authors" in authors and "ranked by posts here" in authors
    assert "by influence" not in authors and "Influence</th>" not in authors


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ("start=nonsense&end=2024-05-01T14:20", 422, "start is not a date"),
        ("start=2024-05-01T15:00&end=2024-05-01T14:00", 422, "end must be after start"),
        ("alert_id=abc", 422, "alert_id must be a number"),
        ("alert_id=999", 404, "does not exist"),
        ("", 200, "Drill down"),
    ],
)
def test_page_bad_input(
    client: TestClient,
    headers: dict[str, str],
    world: dict[str, int],
    query: str,
    status: int,
    text: str,
) -> None:
    _login(client)
    resp = client.get("/drilldown?" + query)
    assert resp.status_code == status
    assert text in resp.text


def _csv_rows(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_drilldown_as_csv_holds_every_section_and_is_audited(
    client: TestClient, headers: dict[str, str], world: dict[str, int], db: Database
) -> None:
    from sqlalchemy import select

    from groundswell.auth.models import AuditEntry

    resp = client.get(
        "/api/v1/drilldown.csv",
        params={
            "subject_id": world["acme"],
            "start": "2024-05-01T14:00:00Z",
            "end": "2024-05-01T14:20:00Z",
        },
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert f"drilldown-subject-{world['acme']}.csv" in resp.headers["content-disposition"]
    rows = _csv_rows(resp.text)
    sections = {r["section"] for r in rows}
    assert {"scope", "summary", "volume", "term", "phrase", "sentiment", "channel"} <= sections
    assert {"mentioned alongside", "author", "cluster", "sample"} <= sections
    (posts,) = [r for r in rows if r["section"] == "volume" and r["item"] == "posts"]
    assert (posts["count"], posts["baseline_count"]) == ("62", "400")  # as the JSON says
    (negative,) = [r for r in rows if r["section"] == "sentiment"]
    assert (negative["item"], negative["count"], negative["baseline_share"]) == (
        "negative",
        "62",
        "0.0",
    )
    outage = next(r for r in rows if r["section"] == "term" and r["item"] == "outage")
    assert float(outage["g2"]) > 6.63 and outage["baseline_count"] == "0"
    assert any(r["section"] == "sample" and "outage" in r["detail"] for r in rows)
    with db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export.drilldown")).one()
        assert entry.details["scope"] == f"subject-{world['acme']}"


def test_an_alerts_drilldown_as_csv(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    resp = client.get(f"/api/v1/alerts/{world['alert']}/drilldown.csv", headers=headers)
    assert resp.status_code == 200, resp.text
    rows = _csv_rows(resp.text)
    assert rows[0]["section"] == "scope" and rows[0]["detail"] == f"alert #{world['alert']}"
    assert client.get("/api/v1/alerts/999/drilldown.csv", headers=headers).status_code == 404


def test_drilldown_csv_refuses_what_the_json_refuses(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    bad = {"start": "2024-05-01T14:20:00Z", "end": "2024-05-01T14:00:00Z"}
    resp = client.get("/api/v1/drilldown.csv", params=bad, headers=headers)
    assert resp.status_code == 422 and "end" in [e["field"] for e in resp.json()["errors"]]
    ok = {"start": "2024-05-01T14:00:00Z", "end": "2024-05-01T14:20:00Z"}
    assert client.get("/api/v1/drilldown.csv", params=ok).status_code == 401


def test_the_page_links_its_csv(
    client: TestClient, headers: dict[str, str], world: dict[str, int]
) -> None:
    _login(client)
    html = client.get(f"/drilldown?alert_id={world['alert']}").text
    assert f'href="/api/v1/alerts/{world["alert"]}/drilldown.csv"' in html
    html = client.get(
        f"/drilldown?subject_id={world['acme']}&start=2024-05-01T14:00&end=2024-05-01T14:20"
    ).text
    link = html.split('id="drilldown-csv"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    resp = client.get(link.replace("&amp;", "&"))
    assert resp.status_code == 200
    (scope,) = [r for r in _csv_rows(resp.text) if r["section"] == "scope"]
    assert scope["item"] == "Acme"
