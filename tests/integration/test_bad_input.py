"""Hostile and careless input at every edge: one bad item never sinks the rest, no 500s.

Each case here answered 500, lost a batch or was accepted and then dead-lettered before
the edge bounded it (issue: hardening, defects 3, 4 and 9).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.cli import app as cli_app
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Interaction
from groundswell.ingestion.models import RejectedRecord
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from groundswell.settings import Settings, get_settings

BIG = 2**63
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options")


def good(ext: str, **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "channel": "twitter",
        "external_id": ext,
        "text": f"my bag is lost again ({ext})",
        "created_at": "2024-05-01T12:00:00Z",
        "author": {"external_id": f"u{ext}", "handle": "alice", "followers": 10},
    }
    doc.update(over)
    return doc


def nested(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(depth - 1):
        doc = {"a": doc}
    return doc


BAD_ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("created_at", good("b1", created_at="0001-01-01T00:00:00+01:00")),
    ("raw", good("b2", raw=nested(256))),
    ("raw", good("b3", raw=nested(200))),
    ("author.followers", good("b4", author={"external_id": "u", "followers": BIG})),
    ("engagement.likes", good("b5", engagement={"likes": BIG})),
    ("raw", good("b6", raw={"n": BIG})),
    ("raw", good("b7", raw={"s": "a\x00b"})),
    ("author.handle", good("b8", author={"external_id": "u", "handle": "al\x00ice"})),
    ("external_id", good("b9\x01")),
    ("url", good("b10", url="https://x.example/\x00")),
]


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, dict[str, str], Database]]:
    db = Database(settings)
    with db.session() as s:
        user = create_user(
            s, data=UserCreate(email="api@example.com", password="password123", role="admin")
        )
        token = create_api_token(s, user_id=user.id, name="t")
    app = create_app(settings, broker=MemoryBroker())
    with TestClient(app, raise_server_exceptions=False) as client:
        client.app_state = app.state  # type: ignore[attr-defined]
        yield client, {"Authorization": f"Bearer {token}"}, db
    db.dispose()


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_one_bad_item_rejects_only_itself(
    api: tuple[TestClient, dict[str, str], Database],
) -> None:
    client, headers, db = api
    items = [good("ok1"), *(item for _, item in BAD_ITEMS), good("ok2")]
    response = client.post("/api/v1/ingest", json=items, headers=headers)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == len(BAD_ITEMS)
    fields = [e["field"] for e in body["errors"]]
    assert fields == [field for field, _ in BAD_ITEMS]
    broker = client.app_state.broker  # type: ignore[attr-defined]
    settings = client.app_state.settings  # type: ignore[attr-defined]
    assert broker.wait_idle(posts_stream(settings), PROCESS_GROUP, timeout=30)
    assert count(db, Interaction) == 2
    # Nothing accepted was dead-lettered later: the refusals are exactly the bad items.
    assert count(db, RejectedRecord) == len(BAD_ITEMS)


def test_integer_beyond_64_bits_in_json_rejects_only_its_item(
    api: tuple[TestClient, dict[str, str], Database],
) -> None:
    client, headers, _ = api
    body = json.dumps([good("ok"), good("big")]).replace('"followers": 10', f'"followers": {2**70}')
    response = client.post(
        "/api/v1/ingest",
        content=body,
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["rejected"] == 2
    assert {e["field"] for e in response.json()["errors"]} == {"author.followers"}


def test_control_characters_are_dropped_from_names_and_kept_out_of_ids(
    api: tuple[TestClient, dict[str, str], Database],
) -> None:
    client, headers, db = api
    item = good("c1", author={"external_id": "u", "display_name": "Al\x00\x07ice", "bio": "b\x1b"})
    response = client.post("/api/v1/ingest", json=item, headers=headers)
    assert response.status_code == 202, response.text
    broker = client.app_state.broker  # type: ignore[attr-defined]
    settings = client.app_state.settings  # type: ignore[attr-defined]
    assert broker.wait_idle(posts_stream(settings), PROCESS_GROUP, timeout=30)
    with db.session() as s:
        names = list(s.scalars(select(Contact.display_name)))
    assert names == ["Alice"]


def test_cli_import_keeps_the_good_records_of_a_chunk(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GROUNDSWELL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GROUNDSWELL_BROKER_URL", "memory://")
    get_settings.cache_clear()
    path = tmp_path / "posts.jsonl"
    lines = [json.dumps(good("ok1"))]
    lines += [json.dumps(item) for _, item in BAD_ITEMS]
    lines.append(json.dumps(good("ok2")).replace('"followers": 10', f'"followers": {2**70}'))
    lines.append(json.dumps(good("ok3")))
    path.write_text("\n".join(lines) + "\n")
    try:
        result = CliRunner().invoke(cli_app, ["import", str(path), "--format", "native"])
        assert result.exit_code == 0, result.output
        assert f"2 accepted, {len(BAD_ITEMS) + 1} rejected" in result.output
        db = Database(get_settings())
        assert count(db, Interaction) == 2
        with db.session() as s:
            reasons = list(s.scalars(select(RejectedRecord.field)))
        db.dispose()
        assert reasons.count("raw") == 4 and "author.followers" in reasons
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/contacts/{BIG}",
        f"/api/v1/contacts/{BIG}/timeline",
        f"/api/v1/subjects/{BIG}",
        f"/api/v1/alerts/{BIG}",
        f"/api/v1/alert-rules/{BIG}",
        f"/api/v1/interactions?subject_id={BIG}",
        f"/api/v1/interactions?after_id={BIG}",
        "/api/v1/interactions?cursor=0",
        f"/api/v1/interactions?cursor={BIG}",
        f"/api/v1/alerts?offset={BIG}",
        f"/api/v1/alert-deliveries?alert_id={BIG}",
        f"/api/v1/interactions/{BIG}/corrections",
    ],
)
def test_out_of_range_parameters_are_422_with_headers(
    api: tuple[TestClient, dict[str, str], Database], path: str
) -> None:
    client, headers, _ = api
    response = client.get(path, headers=headers)
    assert response.status_code == 422, (path, response.text)
    for name in SECURITY_HEADERS:
        assert name in response.headers


@pytest.fixture
def browser(api: tuple[TestClient, dict[str, str], Database]) -> TestClient:
    client, _, db = api
    with db.session() as s:
        create_user(s, data=UserCreate(email="web@example.com", password="password123"))
    page = client.get("/login")
    assert page.status_code == 200
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = client.post(
        "/login",
        data={"email": "web@example.com", "password": "password123", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return client


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/contacts/{BIG}", 422),
        ("/contacts/%C2%B2", 422),
        ("/contacts/%D9%A3", 422),
        (f"/alerts/rules/{BIG}/edit", 403),
        ("/stream?subject=%C2%B2", 200),
        ("/stream?before=%C2%B2", 200),
        (f"/stream?before={BIG}", 200),
        (f"/stream/poll?after_id={BIG}", 422),
        ("/listening?subject=%C2%B2", 200),
        (f"/listening?subject={BIG}", 200),
        ("/drilldown?subject_id=%C2%B2", 200),
        (f"/drilldown?alert_id={BIG}", 422),
        ("/no-such-page", 404),
    ],
)
def test_pages_answer_html_errors_never_500(browser: TestClient, path: str, expected: int) -> None:
    response = browser.get(path)
    assert response.status_code == expected, (path, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    for name in SECURITY_HEADERS:
        assert name in response.headers


def test_subject_renamed_to_a_name_differing_in_unicode_case(
    api: tuple[TestClient, dict[str, str], Database],
) -> None:
    client, headers, _ = api
    first = client.post(
        "/api/v1/subjects", json={"name": "Émile", "query": "emile"}, headers=headers
    )
    assert first.status_code == 201, first.text
    other = client.post("/api/v1/subjects", json={"name": "Zoë", "query": "zoe"}, headers=headers)
    assert other.status_code == 201, other.text
    clash = client.patch(
        f"/api/v1/subjects/{other.json()['id']}", json={"name": "éMILE"}, headers=headers
    )
    assert clash.status_code == 422, clash.text
    assert clash.json()["errors"][0]["field"] == "name"
    own = client.patch(
        f"/api/v1/subjects/{first.json()['id']}", json={"name": "ÉMILE"}, headers=headers
    )
    assert own.status_code == 200, own.text


def test_a_server_error_is_a_page_with_the_security_headers(settings: Settings) -> None:
    app = create_app(settings, broker=MemoryBroker())

    @app.get("/api/v1/boom")
    def boom_api() -> None:
        raise RuntimeError("boom")

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        api_answer = client.get("/api/v1/boom")
        page = client.get("/boom")
    assert api_answer.status_code == 500
    assert api_answer.json() == {"detail": "internal server error"}
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text
    for response in (api_answer, page):
        for name in SECURITY_HEADERS:
            assert name in response.headers


def test_favicon_is_linked_and_served(settings: Settings) -> None:
    with TestClient(create_app(settings, broker=MemoryBroker())) as client:
        login = client.get("/login")
        assert 'rel="icon" href="/static/favicon.svg"' in login.text
        icon = client.get("/static/favicon.svg")
        assert icon.status_code == 200 and icon.text.startswith("<svg")
        assert client.get("/favicon.ico").status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/subjects", {"name": "Acme\x00", "query": "acme"}),
        ("/api/v1/subjects", {"name": "Acme", "query": "acme\x00"}),
        ("/api/v1/alert-rules", {"name": "rule\x00"}),
        ("/api/v1/alert-rules", {"name": "r", "subject_ids": [BIG]}),
        ("/api/v1/alert-suppressions", {"subject_id": BIG, "until": "2999-01-01T00:00:00Z"}),
    ],
)
def test_nul_and_huge_numbers_in_bodies_are_422(
    api: tuple[TestClient, dict[str, str], Database], path: str, body: dict[str, Any]
) -> None:
    client, headers, _ = api
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"], response.text
