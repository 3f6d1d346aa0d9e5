"""Defect 10: tokens listed, scoped, expiring and revocable; users deactivated, passwords
changed, sessions ended; every action in the audit log, readable by admins only.

Before the fix none of this existed short of editing the database.
"""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from gs_webtest import Factory, login

from groundswell.auth.models import ApiToken
from groundswell.core.clock import utcnow

STRONG = "plinth-marmalade-orbit-97"
POST = {
    "channel": "twitter",
    "external_id": "t-1",
    "text": "hello",
    "created_at": "2024-05-01T12:00:00Z",
    "author": {"external_id": "u1"},
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(factory: Factory) -> dict[str, str]:
    user_id = factory.user(email="boss@example.com", role="admin")
    return bearer(factory.token(user_id))


def make_token(client: TestClient, admin: dict[str, str], **body: object) -> dict[str, object]:
    response = client.post("/api/v1/admin/tokens", json={"name": "ci", **body}, headers=admin)
    assert response.status_code == 201, response.text
    doc: dict[str, object] = response.json()
    return doc


def test_scopes_limit_what_a_token_does(
    client: TestClient, factory: Factory, admin: dict[str, str]
) -> None:
    agent = factory.user(email="agent@example.com", role="agent")
    ingest_only = bearer(str(make_token(client, admin, user_id=agent, scopes=["ingest"])["token"]))
    assert client.post("/api/v1/ingest", json=POST, headers=ingest_only).status_code == 202
    refused = client.get("/api/v1/interactions", headers=ingest_only)
    assert refused.status_code == 403
    assert "'read' scope" in refused.json()["detail"]
    read_only = bearer(str(make_token(client, admin, user_id=agent, scopes=["read"])["token"]))
    assert client.get("/api/v1/interactions", headers=read_only).status_code == 200
    assert client.post("/api/v1/ingest", json=POST, headers=read_only).status_code == 403
    # the admin scope is for admin users only, and needed for /admin
    refused = client.post(
        "/api/v1/admin/tokens",
        json={"name": "x", "user_id": agent, "scopes": ["admin"]},
        headers=admin,
    )
    assert refused.status_code == 422
    boss_read = bearer(str(make_token(client, admin, scopes=["read"])["token"]))
    assert client.get("/api/v1/admin/users", headers=boss_read).status_code == 403


def test_tokens_are_listed_without_secret_and_revoked(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = make_token(client, admin, scopes=["read", "engage"], expires_in_days=30)
    token = str(created["token"])
    assert client.get("/api/v1/interactions", headers=bearer(token)).status_code == 200
    listing = client.get("/api/v1/admin/tokens", headers=admin)
    assert listing.status_code == 200
    assert token not in listing.text
    row = next(t for t in listing.json() if t["id"] == created["id"])
    assert row["scopes"] == ["read", "engage"]
    assert row["last_used_at"] is not None
    assert row["expires_at"] is not None and row["active"] is True
    revoked = client.post(f"/api/v1/admin/tokens/{created['id']}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    assert client.get("/api/v1/interactions", headers=bearer(token)).status_code == 401
    assert client.post("/api/v1/admin/tokens/999999/revoke", headers=admin).status_code == 404


def test_an_expired_token_stops_working(
    client: TestClient, factory: Factory, admin: dict[str, str]
) -> None:
    created = make_token(client, admin, expires_in_days=1)
    with factory.db.session() as s:
        row = s.get(ApiToken, created["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert (
        client.get("/api/v1/interactions", headers=bearer(str(created["token"]))).status_code == 401
    )


def test_token_lifetime_is_bounded(client: TestClient, admin: dict[str, str]) -> None:
    for days in (None, 366):
        response = client.post(
            "/api/v1/admin/tokens", json={"name": "x", "expires_in_days": days}, headers=admin
        )
        assert response.status_code == 422, days


def test_deactivating_a_user_stops_tokens_and_sessions(
    client: TestClient, factory: Factory, admin: dict[str, str]
) -> None:
    agent = factory.user(email="ana@example.com", role="agent")
    agent_token = bearer(factory.token(agent))
    browser = TestClient(client.app)
    login(browser)
    assert browser.get("/", follow_redirects=False).status_code == 200
    listing = client.get("/api/v1/admin/users", headers=admin).json()
    assert next(u for u in listing if u["id"] == agent)["open_sessions"] == 1
    response = client.patch(f"/api/v1/admin/users/{agent}", json={"active": False}, headers=admin)
    assert response.status_code == 200 and response.json()["active"] is False
    assert client.get("/api/v1/interactions", headers=agent_token).status_code == 401
    assert browser.get("/", follow_redirects=False).status_code == 303
    assert login(browser).status_code == 401


def test_admins_cannot_lock_the_installation_out(
    client: TestClient, factory: Factory, admin: dict[str, str]
) -> None:
    boss = next(u["id"] for u in client.get("/api/v1/admin/users", headers=admin).json())
    response = client.patch(f"/api/v1/admin/users/{boss}", json={"active": False}, headers=admin)
    assert response.status_code == 422
    response = client.patch(f"/api/v1/admin/users/{boss}", json={"role": "agent"}, headers=admin)
    assert response.status_code == 422


def test_password_change_checks_strength_and_ends_sessions(
    client: TestClient, factory: Factory, admin: dict[str, str]
) -> None:
    agent = factory.user(email="ana@example.com", role="agent")
    browser = TestClient(client.app)
    login(browser)
    for weak in ("short", "password1234", "ana@example.com1"):
        response = client.post(
            f"/api/v1/admin/users/{agent}/password", json={"new_password": weak}, headers=admin
        )
        assert response.status_code == 422, weak
        assert response.json()["errors"][0]["field"] == "password"
    response = client.post(
        f"/api/v1/admin/users/{agent}/password", json={"new_password": STRONG}, headers=admin
    )
    assert response.status_code == 200
    assert response.json() == {"ended": 1}
    assert browser.get("/", follow_redirects=False).status_code == 303
    assert login(browser, password=STRONG).status_code == 303


def test_own_password_change_needs_the_current_password(
    client: TestClient, factory: Factory
) -> None:
    from gs_webtest import PASSWORD

    agent = factory.user(email="ana@example.com", role="agent")
    token = bearer(factory.token(agent))
    wrong = client.post(
        "/api/v1/me/password",
        json={"new_password": STRONG, "current_password": "nope"},
        headers=token,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "current_password"
    right = client.post(
        "/api/v1/me/password",
        json={"new_password": STRONG, "current_password": PASSWORD},
        headers=token,
    )
    assert right.status_code == 200


def test_end_sessions(client: TestClient, factory: Factory, admin: dict[str, str]) -> None:
    agent = factory.user(email="ana@example.com", role="agent")
    browser = TestClient(client.app)
    login(browser)
    sessions = client.get(f"/api/v1/admin/users/{agent}/sessions", headers=admin).json()
    assert len(sessions) == 1 and sessions[0]["address"] == "testclient"
    response = client.post(f"/api/v1/admin/users/{agent}/end-sessions", headers=admin)
    assert response.json() == {"ended": 1}
    assert browser.get("/", follow_redirects=False).status_code == 303
    assert client.get(f"/api/v1/admin/users/{agent}/sessions", headers=admin).json() == []


def test_every_action_is_audited_without_secrets(
    client: TestClient, factory: Factory, admin: dict[str, str]
) -> None:
    agent = factory.user(email="ana@example.com", role="agent")
    created = make_token(client, admin, user_id=agent, scopes=["read"])
    client.post(f"/api/v1/admin/tokens/{created['id']}/revoke", headers=admin)
    client.post(
        f"/api/v1/admin/users/{agent}/password", json={"new_password": STRONG}, headers=admin
    )
    client.post(f"/api/v1/admin/users/{agent}/end-sessions", headers=admin)
    client.patch(f"/api/v1/admin/users/{agent}", json={"active": False}, headers=admin)
    client.post(
        "/api/v1/admin/users",
        json={"email": "new@example.com", "password": STRONG, "role": "analyst"},
        headers=admin,
    )
    log = client.get("/api/v1/admin/audit", headers=admin)
    assert log.status_code == 200
    actions = [e["action"] for e in log.json()]
    assert actions == [
        "user.create",
        "user.deactivate",
        "user.end_sessions",
        "user.password",
        "token.revoke",
        "token.create",
        "token.used",  # the admin's token, used for every call above: one entry an hour
    ]
    assert {e["actor"] for e in log.json()} == {"boss@example.com"}
    text = orjson.dumps(log.json()).decode()
    assert str(created["token"]) not in text and STRONG not in text
    page = client.get("/api/v1/admin/audit?limit=2", headers=admin).json()
    older = client.get(f"/api/v1/admin/audit?before_id={page[-1]['id']}", headers=admin).json()
    assert [e["action"] for e in page + older] == actions


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/admin/users"),
        ("GET", "/api/v1/admin/tokens"),
        ("GET", "/api/v1/admin/audit"),
        ("POST", "/api/v1/admin/tokens"),
        ("PATCH", "/api/v1/admin/users/1"),
    ],
)
def test_admin_api_is_for_admins(
    client: TestClient, factory: Factory, method: str, path: str
) -> None:
    for role in ("agent", "analyst"):
        token = bearer(factory.token(factory.user(email=f"{role}@example.com", role=role)))
        assert client.request(method, path, json={}, headers=token).status_code == 403
    assert client.request(method, path, json={}).status_code == 401


def test_a_very_long_password_is_judged_not_crashed(
    client: TestClient, factory: Factory, admin: dict[str, str]
) -> None:
    agent = factory.user(email="ana@example.com", role="agent")
    for password, expected in (("a" * 1000, 422), (STRONG * 30, 200)):
        response = client.post(
            f"/api/v1/admin/users/{agent}/password",
            json={"new_password": password},
            headers=admin,
        )
        assert response.status_code == expected, response.text


def test_hostile_admin_inputs_are_refused_not_crashed(
    client: TestClient, admin: dict[str, str]
) -> None:
    cases = [
        ("POST", "/api/v1/admin/tokens", {"name": "a\x00b"}),
        ("POST", "/api/v1/admin/users", {"email": "x\x00@example.com", "password": STRONG}),
        (
            "POST",
            "/api/v1/admin/users",
            {"email": "x@example.com", "name": "\x07", "password": STRONG},
        ),
        ("PATCH", f"/api/v1/admin/users/{2**63}", {"active": False}),
        ("POST", "/api/v1/admin/tokens", {"name": "x", "user_id": 2**63}),
    ]
    for method, path, body in cases:
        response = client.request(method, path, json=body, headers=admin)
        assert response.status_code == 422, (path, body, response.text)
    for query in ("since=0001-01-01T00:00:00%2B01:00", "action=%00", f"before_id={2**64}"):
        response = client.get(f"/api/v1/admin/audit?{query}", headers=admin)
        assert response.status_code == 422, (query, response.text)
