"""The read API over HTTP with bearer tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Conversation, Identity, Interaction, InteractionSubject
from groundswell.listening.models import Subject
from groundswell.settings import Settings

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _token(db: Database, role: str = "admin", email: str = "api@example.com") -> dict[str, str]:
    with db.session() as s:
        user = create_user(s, data=UserCreate(email=email, password="x" * 12, role=role))  # type: ignore[arg-type]
        return {"Authorization": "Bearer " + create_api_token(s, user_id=user.id, name="t")}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedded_worker=False)) as c:
        yield c


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    """Jane on twitter and email, a brand reply in her thread, a stranger, two subjects."""
    with db.session() as s:
        tw = Channel(key="twitter", name="Twitter")
        em = Channel(key="email", name="Email")
        acme = Subject(name="Acme", kind="brand", query="acme")
        s.add_all([tw, em, acme])
        s.flush()
        jane = Contact(display_name="Jane Doe", email="jane@example.com")
        other = Contact(display_name="Stranger")
        s.add_all([jane, other])
        s.flush()
        jane_tw = Identity(
            platform="twitter", external_id="1", handle="@jane", contact_id=jane.id, linked_by="new"
        )
        jane_em = Identity(
            platform="email",
            external_id="jane@example.com",
            handle="jane@example.com",
            contact_id=jane.id,
            linked_by="email:jane@example.com",
        )
        brand = Identity(platform="twitter", external_id="99", handle="@acme", is_brand=True)
        stranger = Identity(platform="twitter", external_id="2", handle="@s", contact_id=other.id)
        s.add_all([jane_tw, jane_em, brand, stranger])
        s.flush()
        thread = Conversation(
            channel_id=tw.id,
            root_external_id="t1",
            contact_id=jane.id,
            started_at=T0,
            last_activity_at=T0,
        )
        s.add(thread)
        s.flush()

        def post(ext: str, ch: Channel, ident: Identity, minutes: int, **kw: object) -> int:
            row = Interaction(
                channel_id=ch.id,
                external_id=ext,
                identity_id=ident.id,
                contact_id=ident.contact_id,
                text=f"text {ext}",
                created_at=T0 + timedelta(minutes=minutes),
                direction=kw.pop("direction", "in"),
                **kw,
            )
            s.add(row)
            s.flush()
            return row.id

        # Inserted out of time order on purpose: the timeline sorts by time, not id.
        email_late = post("e1", em, jane_em, 60, sentiment_label="negative", sentiment_score=-0.6)
        root = post("t1", tw, jane_tw, 0, conversation_id=thread.id, sentiment_label="negative")
        reply = post(
            "t2",
            tw,
            brand,
            10,
            conversation_id=thread.id,
            direction="out",
            reply_to_external_id="t1",
        )
        noise = post("t3", tw, stranger, 5, conversation_id=thread.id, sentiment_label="positive")
        s.add(InteractionSubject(interaction_id=root, subject_id=acme.id))
        return {
            "jane": jane.id,
            "acme": acme.id,
            "email_late": email_late,
            "root": root,
            "reply": reply,
            "noise": noise,
            "thread": thread.id,
        }


def test_requires_a_token(client: TestClient, world: dict[str, int]) -> None:
    for path in ("/api/v1/interactions", f"/api/v1/contacts/{world['jane']}", "/api/v1/subjects"):
        assert client.get(path).status_code == 401
        bad = client.get(path, headers={"Authorization": "Bearer gsk_nope"})
        assert bad.status_code == 401


def test_contact_detail(client: TestClient, db: Database, world: dict[str, int]) -> None:
    body = client.get(f"/api/v1/contacts/{world['jane']}", headers=_token(db)).json()
    assert body["display_name"] == "Jane Doe"
    assert body["interaction_count"] == 2
    linked = {i["platform"]: i["linked_by"] for i in body["identities"]}
    assert linked == {"twitter": "new", "email": "email:jane@example.com"}


def test_unknown_contact_is_404(client: TestClient, db: Database) -> None:
    headers = _token(db)
    assert client.get("/api/v1/contacts/12345", headers=headers).status_code == 404
    assert client.get("/api/v1/contacts/12345/timeline", headers=headers).status_code == 404


def test_timeline_is_newest_first_across_channels(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    response = client.get(f"/api/v1/contacts/{world['jane']}/timeline", headers=_token(db))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [world["email_late"], world["reply"], world["root"]]
    assert [i["channel_key"] for i in items] == ["email", "twitter", "twitter"]
    assert [i["direction"] for i in items] == ["in", "out", "in"]
    assert items[2]["author_handle"] == "@jane" and items[1]["author_handle"] == "@acme"
    assert items[2]["subjects"] == [{"id": world["acme"], "name": "Acme"}]
    assert items[0]["sentiment_label"] == "negative" and items[0]["sentiment_score"] == -0.6
    assert items[2]["conversation_id"] == items[1]["conversation_id"] == world["thread"]
    assert world["noise"] not in [i["id"] for i in items]

    limited = client.get(
        f"/api/v1/contacts/{world['jane']}/timeline?limit=2", headers=_token(db, email="b@x.io")
    ).json()
    assert [i["id"] for i in limited["items"]] == [world["email_late"], world["reply"]]
    assert limited["has_more"] is True


def test_interactions_filters_and_cursor(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    h = _token(db)

    def ids(query: str) -> list[int]:
        response = client.get("/api/v1/interactions" + query, headers=h)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    everything = ids("")
    assert everything == sorted(everything, reverse=True) and len(everything) == 4
    assert ids(f"?subject_id={world['acme']}") == [world["root"]]
    assert ids("?channel=email") == [world["email_late"]]
    assert set(ids("?sentiment=negative")) == {world["email_late"], world["root"]}
    assert ids(f"?after_id={world['reply']}") == [world["noise"]]

    pages, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/interactions?limit=3{cursor}", headers=h).json()
        pages.append([i["id"] for i in body["items"]])
        if body["next_cursor"] is None:
            break
        cursor = "&cursor=" + body["next_cursor"]
    assert [i for page in pages for i in page] == everything
    assert len(pages) == 2

    assert client.get("/api/v1/interactions?sentiment=angry", headers=h).status_code == 422
    assert client.get("/api/v1/interactions?cursor=abc", headers=h).status_code == 422
    assert client.get("/api/v1/interactions?limit=0", headers=h).status_code == 422


def test_subjects_crud(client: TestClient, db: Database) -> None:
    h = _token(db, role="analyst")
    created = client.post(
        "/api/v1/subjects",
        json={"name": "Globex", "kind": "competitor", "query": "globex"},
        headers=h,
    )
    assert created.status_code == 201, created.text
    subject = created.json()
    assert subject["kind"] == "competitor" and subject["active"] is True
    sid = subject["id"]
    patched = client.patch(
        f"/api/v1/subjects/{sid}", json={"query": "globex OR #globex", "active": False}, headers=h
    )
    assert patched.status_code == 200
    assert patched.json()["query"] == "globex OR #globex" and patched.json()["name"] == "Globex"
    listed = client.get("/api/v1/subjects", headers=h).json()
    assert [s["name"] for s in listed] == ["Globex"]
    assert client.get(f"/api/v1/subjects/{sid}", headers=h).json()["active"] is False
    assert client.delete(f"/api/v1/subjects/{sid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/subjects/{sid}", headers=h).status_code == 404
    assert client.delete(f"/api/v1/subjects/{sid}", headers=h).status_code == 404
    assert client.patch(f"/api/v1/subjects/{sid}", json={"name": "x"}, headers=h).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "query": "x"},
        {"name": "A", "query": ""},
        {"name": "A", "query": "x", "kind": "planet"},
        {"name": "A", "query": "x", "extra": 1},
    ],
)
def test_subject_bad_fields_are_422(
    client: TestClient, db: Database, body: dict[str, object]
) -> None:
    assert client.post("/api/v1/subjects", json=body, headers=_token(db)).status_code == 422


def test_invalid_query_is_422_with_position(client: TestClient, db: Database) -> None:
    h = _token(db)
    response = client.post(
        "/api/v1/subjects", json={"name": "Bad", "query": "acme AND ("}, headers=h
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "query"
    assert isinstance(error["position"], int) and 0 <= error["position"] <= len("acme AND (")
    assert client.get("/api/v1/subjects", headers=h).json() == []

    ok = client.post("/api/v1/subjects", json={"name": "Ok", "query": "acme"}, headers=h).json()
    patched = client.patch(f"/api/v1/subjects/{ok['id']}", json={"query": ")"}, headers=h)
    assert patched.status_code == 422 and patched.json()["errors"][0]["position"] == 0
    assert client.get(f"/api/v1/subjects/{ok['id']}", headers=h).json()["query"] == "acme"


def test_duplicate_subject_name_is_422(client: TestClient, db: Database) -> None:
    h = _token(db)
    assert (
        client.post("/api/v1/subjects", json={"name": "Acme", "query": "a"}, headers=h).status_code
        == 201
    )
    again = client.post("/api/v1/subjects", json={"name": "ACME", "query": "a"}, headers=h)
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "name"


def test_agents_cannot_edit_subjects(client: TestClient, db: Database) -> None:
    h = _token(db, role="agent")
    assert client.get("/api/v1/subjects", headers=h).status_code == 200
    assert (
        client.post("/api/v1/subjects", json={"name": "A", "query": "a"}, headers=h).status_code
        == 403
    )


def test_contact_search(client: TestClient, db: Database, world: dict[str, int]) -> None:
    body = client.get("/api/v1/contacts?q=jane", headers=_token(db)).json()
    assert [c["id"] for c in body] == [world["jane"]]
    assert body[0]["interaction_count"] == 2
