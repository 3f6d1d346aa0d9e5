"""``POST /api/v1/ingest`` end to end through the embedded worker, and every bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.ingestion.models import RejectedRecord
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from groundswell.settings import Settings


def good(ext: str, **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "channel": "twitter",
        "external_id": ext,
        "text": f"@united my bag is lost again ({ext})",
        "created_at": "2024-05-01T12:00:00Z",
        "author": {"external_id": "u1", "handle": "alice", "followers": 10},
    }
    doc.update(over)
    return doc


@pytest.fixture
def client(settings: Settings) -> Iterator[tuple[TestClient, dict[str, str], Database]]:
    db = Database(settings)
    with db.session() as s:
        user = create_user(s, data=UserCreate(email="api@example.com", password="password123"))
        token = create_api_token(s, user_id=user.id, name="t")
    broker = MemoryBroker()
    app = create_app(settings, broker=broker)
    with TestClient(app) as c:
        c.app_state = app.state  # type: ignore[attr-defined]
        yield c, {"Authorization": f"Bearer {token}"}, db
    db.dispose()


def wait_stored(c: TestClient) -> None:
    broker = c.app_state.broker  # type: ignore[attr-defined]
    settings = c.app_state.settings  # type: ignore[attr-defined]
    assert broker.wait_idle(posts_stream(settings), PROCESS_GROUP, timeout=30)


def stored(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Interaction)) or 0)


def rejected(db: Database) -> list[RejectedRecord]:
    with db.session() as s:
        return list(s.scalars(select(RejectedRecord).order_by(RejectedRecord.id)))


def test_requires_token(client: tuple[TestClient, dict[str, str], Database]) -> None:
    c, _, _ = client
    assert c.post("/api/v1/ingest", json=good("1")).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert c.post("/api/v1/ingest", json=good("1"), headers=bad).status_code == 401


def test_single_and_batch_are_stored_once(
    client: tuple[TestClient, dict[str, str], Database],
) -> None:
    c, auth, db = client
    r = c.post("/api/v1/ingest", json=good("1"), headers=auth)
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 1, "rejected": 0, "errors": []}
    r = c.post("/api/v1/ingest", json=[good("1"), good("2"), good("2")], headers=auth)
    assert r.status_code == 202
    wait_stored(c)
    assert stored(db) == 2


def test_the_private_flag_survives_the_broker_and_is_stored(
    client: tuple[TestClient, dict[str, str], Database],
) -> None:
    """A DM sent on the same channel as public posts is stored private; the others not."""
    c, auth, db = client
    items = [good("dm", private=True), good("pub"), good("mail", channel="email")]
    assert c.post("/api/v1/ingest", json=items, headers=auth).status_code == 202
    wait_stored(c)
    with db.session() as s:
        rows = s.execute(select(Interaction.external_id, Interaction.private))
        assert {ext: private for ext, private in rows} == {"dm": True, "pub": False, "mail": True}


@pytest.mark.parametrize(
    ("item", "field", "words"),
    [
        ({k: v for k, v in good("x").items() if k != "text"}, "text", "required"),
        (
            good("x", author={"external_id": "u", "followers": "many"}),
            "author.followers",
            "integer",
        ),
        (good("x", created_at="yesterday"), "created_at", "datetime"),
        (
            good("x", created_at=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
            "created_at",
            "future",
        ),
        (good("x", text="   "), "text", "empty"),
        (good("x", text="a" * 10_001), "text", "limit"),
        (good("x", colour="red"), "colour", "not a known field"),
        (good("x", channel="Not A Slug!"), "channel", "slug"),
        ("just a string", None, "object"),
    ],
)
def test_bad_item_is_named_and_kept_while_the_rest_goes_through(
    client: tuple[TestClient, dict[str, str], Database],
    item: Any,
    field: str | None,
    words: str,
) -> None:
    c, auth, db = client
    r = c.post("/api/v1/ingest", json=[good("ok1"), item, good("ok2")], headers=auth)
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    err = body["errors"][0]
    assert err["record"] == "item 1"
    assert err["field"] == field
    assert words in err["reason"].lower()
    wait_stored(c)
    assert stored(db) == 2
    [row] = rejected(db)
    assert (row.source, row.record_ref, row.field) == ("api", "item 1", field)


def test_malformed_json_is_400_and_kept(
    client: tuple[TestClient, dict[str, str], Database],
) -> None:
    c, auth, db = client
    r = c.post(
        "/api/v1/ingest",
        content=b'{"channel": "twitter", ',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert "malformed JSON" in r.json()["errors"][0]["reason"]
    [row] = rejected(db)
    assert row.payload == '{"channel": "twitter", '


def test_invalid_utf8_is_400(client: tuple[TestClient, dict[str, str], Database]) -> None:
    c, auth, db = client
    r = c.post(
        "/api/v1/ingest",
        content=b'{"text": "caf\xe9"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert len(rejected(db)) == 1


def test_nothing_valid_is_422(client: tuple[TestClient, dict[str, str], Database]) -> None:
    c, auth, _ = client
    r = c.post("/api/v1/ingest", json=[{"nope": 1}], headers=auth)
    assert r.status_code == 422
    assert r.json()["rejected"] == 1
    r = c.post("/api/v1/ingest", json=42, headers=auth)
    assert r.status_code == 422


def test_hostile_text_is_stored_verbatim(
    client: tuple[TestClient, dict[str, str], Database],
) -> None:
    c, auth, db = client
    text = "<script>alert(1)</script> ' OR 1=1; --"
    assert c.post("/api/v1/ingest", json=good("h", text=text), headers=auth).status_code == 202
    wait_stored(c)
    with db.session() as s:
        assert s.scalar(select(Interaction.text)) == text


def test_openapi_describes_ingest(client: tuple[TestClient, dict[str, str], Database]) -> None:
    c, _, _ = client
    spec = c.get("/openapi.json").json()
    assert "/api/v1/ingest" in spec["paths"]
    assert "InboundPost" in spec["components"]["schemas"]
