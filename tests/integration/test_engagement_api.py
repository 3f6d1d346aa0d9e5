"""The engagement API over HTTP: roles, refusals naming the field, the reply path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engagement_world import FileNetwork, store_post
from groundswell.api.engagement.deps import CollisionBody
from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.db import Database
from groundswell.settings import Settings


def token(db: Database, role: str, email: str) -> dict[str, str]:
    with db.session() as s:
        user = create_user(
            s,
            data=UserCreate(
                email=email, password="x" * 12, role=role, name=email.split("@")[0].title()
            ),
        )  # type: ignore[arg-type]
        return {"Authorization": "Bearer " + create_api_token(s, user_id=user.id, name="t")}


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(settings, embedded_worker=False)
    registry = ConnectorRegistry()
    registry.register(FileNetwork(tmp_path / "net.jsonl"))
    app.state.connectors = registry
    with TestClient(app) as c:
        yield c


def setup(client: TestClient, admin: dict[str, str]) -> dict[str, int]:
    q = client.post("/api/v1/engagement/queues", json={"name": "Care"}, headers=admin)
    assert q.status_code == 201, q.text
    r = client.post(
        "/api/v1/engagement/rules",
        json={
            "name": "Negative tweets",
            "conditions": {"sentiments": ["negative"]},
            "actions": [
                {"type": "open_case"},
                {"type": "assign_queue", "queue_id": q.json()["id"]},
            ],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    c = client.post(
        "/api/v1/engagement/canned-responses",
        json={
            "name": "Sorry",
            "shortcut": "sorry",
            "body": "Hi {{contact.first_name}}, {{agent.name}} here.",
        },
        headers=admin,
    )
    assert c.status_code == 201, c.text
    return {"queue": q.json()["id"], "canned": c.json()["id"]}


def open_case(db: Database) -> int:
    from groundswell.core.clock import utcnow
    from groundswell.engagement.rules.service import apply_rules, load_rules

    iid = store_post(db, "t1", "carla", at=utcnow())
    with db.session() as s:
        case = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        assert case is not None
        return case.id


def test_agent_replies_with_canned_and_sees_it_queued(client: TestClient, db: Database) -> None:
    admin = token(db, "admin", "root@example.com")
    ids = setup(client, admin)
    agent = token(db, "agent", "ann@example.com")
    case_id = open_case(db)
    inbox = client.get("/api/v1/engagement/cases?view=all", headers=agent).json()
    assert [c["id"] for c in inbox["cases"]] == [case_id]
    version = inbox["cases"][0]["version"]
    r = client.post(
        f"/api/v1/engagement/cases/{case_id}/replies",
        json={"canned_id": ids["canned"], "seen_version": version},
        headers=agent,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "queued" and r.json()["text"] == "Hi Carla, Ann here."
    detail = client.get(f"/api/v1/engagement/cases/{case_id}", headers=agent).json()
    assert [t["direction"] for t in detail["thread"]] == ["in", "out"]
    assert detail["thread"][1]["reply"]["status"] == "queued"


def test_refusals_name_role_or_field(client: TestClient, db: Database) -> None:
    admin = token(db, "admin", "root@example.com")
    setup(client, admin)
    analyst = token(db, "analyst", "ana@example.com")
    agent = token(db, "agent", "ann@example.com")
    case_id = open_case(db)
    r = client.post(
        f"/api/v1/engagement/cases/{case_id}/replies", json={"text": "hi"}, headers=analyst
    )
    assert r.status_code == 403 and "analyst" in r.json()["detail"]
    r = client.post(
        f"/api/v1/engagement/cases/{case_id}/replies", json={"text": "x" * 300}, headers=agent
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "text"
    r = client.post(
        f"/api/v1/engagement/cases/{case_id}/replies",
        json={"text": "Hi {{contact.shoe_size}}"},
        headers=agent,
    )
    assert (
        r.status_code == 422
        and r.json()["errors"][0]["field"] == "canned_id"
        and "shoe_size" in r.text
    )
    r = client.post(
        "/api/v1/engagement/rules",
        json={"name": "x", "actions": [{"type": "assign_queue", "queue_id": 999}]},
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "actions.0.queue_id"
    r = client.post("/api/v1/engagement/queues", json={"name": "Other"}, headers=agent)
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/engagement/cases/{case_id}/status", json={"action": "close"}, headers=agent
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "action"
    r = client.get("/api/v1/engagement/cases/999999", headers=agent)
    assert r.status_code == 404


def test_collision_warns_before_sending(client: TestClient, db: Database) -> None:
    admin = token(db, "admin", "root@example.com")
    setup(client, admin)
    ann = token(db, "agent", "ann@example.com")
    bob = token(db, "agent", "bob@example.com")
    case_id = open_case(db)
    version = client.get(f"/api/v1/engagement/cases/{case_id}", headers=ann).json()["case"][
        "version"
    ]
    assert (
        client.post(
            f"/api/v1/engagement/cases/{case_id}/replies",
            json={"text": "Bob here", "seen_version": version},
            headers=bob,
        ).status_code
        == 201
    )
    r = client.post(
        f"/api/v1/engagement/cases/{case_id}/replies",
        json={"text": "Ann here", "seen_version": version},
        headers=ann,
    )
    assert r.status_code == 409 and "colleague" in r.text
    # the body the description documents for 409
    assert CollisionBody.model_validate(r.json()).detail.version >= 1
    r = client.post(
        f"/api/v1/engagement/cases/{case_id}/replies",
        json={"text": "Ann here", "seen_version": version, "force": True},
        headers=ann,
    )
    assert r.status_code == 201


def test_presence_shows_typing_colleague(client: TestClient, db: Database) -> None:
    admin = token(db, "admin", "root@example.com")
    setup(client, admin)
    ann = token(db, "agent", "ann@example.com")
    bob = token(db, "agent", "bob@example.com")
    case_id = open_case(db)
    client.post(
        f"/api/v1/engagement/cases/{case_id}/presence", json={"state": "typing"}, headers=ann
    )
    seen = client.post(
        f"/api/v1/engagement/cases/{case_id}/presence", json={"state": "viewing"}, headers=bob
    ).json()
    assert [(p["name"], p["state"]) for p in seen] == [("Ann", "typing")]


def test_openapi_lists_engagement(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/api/v1/engagement/cases",
        "/api/v1/engagement/rules/dry-run",
        "/api/v1/engagement/replies/{reply_id}/decision",
        "/api/v1/engagement/sla-policies",
        "/api/v1/engagement/csat",
    ):
        assert p in paths


def test_merge_through_the_api(client: TestClient, db: Database) -> None:
    from groundswell.core.clock import utcnow
    from groundswell.engagement.models import Case
    from groundswell.engagement.rules.service import apply_rules, load_rules

    admin = token(db, "admin", "root@example.com")
    setup(client, admin)
    agent = token(db, "agent", "ann@example.com")
    analyst = token(db, "analyst", "ana@example.com")
    kept = open_case(db)
    iid = store_post(db, "t2", "carla2", at=utcnow())
    with db.session() as s:
        dup = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        first = s.get(Case, kept)
        assert dup is not None and first is not None
        dup.contact_id = first.contact_id
        dup_id = dup.id
    path = f"/api/v1/engagement/cases/{kept}/merge"
    assert client.post(path, json={"source_id": dup_id}, headers=analyst).status_code == 403
    for body, field in (({"source_id": kept}, "source_id"), ({"source_id": 0}, "source_id")):
        r = client.post(path, json=body, headers=agent)
        assert r.status_code == 422 and field in r.text, r.text
    assert client.post(path, json={"source_id": 10**6}, headers=agent).status_code == 404
    r = client.post(path, json={"source_id": dup_id}, headers=agent)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == kept
    gone = client.get(f"/api/v1/engagement/cases/{dup_id}", headers=agent).json()
    assert gone["case"]["status"] == "closed"
    assert any(e["kind"] == "merged" for e in gone["events"])
