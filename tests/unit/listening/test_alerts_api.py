"""The alerts API on SQLite and PostgreSQL: filters, actions, roles, rules, deliveries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alerts_world import World, bearer
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.core.db import Database
from groundswell.settings import Settings


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedded_worker=False)) as c:
        yield c


def test_list_and_filter(client: TestClient, world: World) -> None:
    open_id = world.alert()
    done_id = world.alert(status="resolved", minutes=-60)
    h = bearer(world.agent_token)
    page = client.get("/api/v1/alerts", headers=h).json()
    assert [a["id"] for a in page["items"]] == [open_id, done_id]
    assert page["total"] == 2
    first = page["items"][0]
    assert first["subject_name"] == "Delta <b>Air</b>"
    assert first["drilldown_url"] == f"/drilldown?alert_id={open_id}"
    only = client.get("/api/v1/alerts?status=resolved", headers=h).json()
    assert [a["id"] for a in only["items"]] == [done_id]
    both = client.get("/api/v1/alerts?status=open&status=resolved&limit=1", headers=h).json()
    assert both["total"] == 2 and len(both["items"]) == 1
    assert (
        client.get(f"/api/v1/alerts?subject_id={world.subject + 1}", headers=h).json()["items"]
        == []
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=burning", "query.status.0"),
        ("metric=mood", "query.metric"),
        ("limit=0", "query.limit"),
    ],
)
def test_bad_filters_name_the_field(
    client: TestClient, world: World, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/alerts?{query}", headers=bearer(world.agent_token))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_one_alert_with_anomalies_and_404(client: TestClient, world: World) -> None:
    alert_id = world.alert()
    h = bearer(world.agent_token)
    detail = client.get(f"/api/v1/alerts/{alert_id}", headers=h).json()
    assert len(detail["anomalies"]) == 1 and detail["anomalies"][0]["observed"] == 42.0
    missing = client.get("/api/v1/alerts/999999", headers=h)
    assert missing.status_code == 404 and "alert" in missing.json()["detail"]
    assert client.get("/api/v1/alerts").status_code == 401


def test_agents_acknowledge_managers_do_the_rest(client: TestClient, world: World) -> None:
    alert_id = world.alert()
    agent, admin = bearer(world.agent_token), bearer(world.admin_token)
    acked = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=agent).json()
    assert acked["acknowledged_by"] == world.agent
    assert acked["acknowledged_by_name"] == "bo@example.com"
    for action, body in (("assign", {"user_id": world.agent}), ("resolve", None)):
        denied = client.post(f"/api/v1/alerts/{alert_id}/{action}", headers=agent, json=body)
        assert denied.status_code == 403
    bad = client.post(f"/api/v1/alerts/{alert_id}/assign", headers=admin, json={"user_id": 999})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "user_id"
    typo = client.post(f"/api/v1/alerts/{alert_id}/assign", headers=admin, json={"user": 1})
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "user"
    owned = client.post(
        f"/api/v1/alerts/{alert_id}/assign", headers=admin, json={"user_id": world.agent}
    )
    assert owned.json()["assigned_to_name"] == "bo@example.com"
    window = client.post(f"/api/v1/alerts/{alert_id}/suppress", headers=admin, json={"minutes": 90})
    assert window.status_code == 201 and window.json()["metric"] == "negative"
    active = client.get("/api/v1/alert-suppressions?active=true", headers=agent).json()
    assert [w["id"] for w in active] == [window.json()["id"]]
    too_long = client.post(
        f"/api/v1/alerts/{alert_id}/suppress", headers=admin, json={"minutes": 10**6}
    )
    assert too_long.json()["errors"][0]["field"] == "minutes"
    resolved = client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=admin).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]


def test_rules_crud_with_checked_targets(client: TestClient, world: World) -> None:
    admin, agent = bearer(world.admin_token), bearer(world.agent_token)
    body = {
        "name": "Care team",
        "subject_ids": [world.subject],
        "metrics": ["negative", "volume"],
        "min_severity": 6,
        "targets": [
            {"kind": "email", "to": "care@example.com"},
            {"kind": "webhook", "to": "https://hooks.example.com/gs"},
            {"kind": "in_app"},
        ],
    }
    assert client.post("/api/v1/alert-rules", headers=agent, json=body).status_code == 403
    created = client.post("/api/v1/alert-rules", headers=admin, json=body)
    assert created.status_code == 201
    rule = created.json()
    assert rule["targets"][2] == {"kind": "in_app", "to": ""}
    bad = client.post(
        "/api/v1/alert-rules",
        headers=admin,
        json={**body, "targets": [{"kind": "webhook", "to": "javascript:alert(1)"}]},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "targets.0"
    patched = client.patch(
        f"/api/v1/alert-rules/{rule['id']}",
        headers=admin,
        json={"subject_ids": None, "min_severity": 3},
    ).json()
    assert patched["subject_ids"] is None and patched["min_severity"] == 3
    assert patched["name"] == "Care team"
    assert client.get("/api/v1/alert-rules", headers=agent).json()[0]["id"] == rule["id"]
    assert client.delete(f"/api/v1/alert-rules/{rule['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/alert-rules/{rule['id']}", headers=agent).status_code == 404


def test_deliveries_are_listed_masked_and_retried(client: TestClient, world: World) -> None:
    alert_id = world.alert()
    dead = world.delivery(alert_id)
    sent = world.delivery(alert_id, status="sent")
    admin = bearer(world.admin_token)
    page = client.get("/api/v1/alert-deliveries?status=dead", headers=admin).json()
    [row] = page["items"]
    assert row["id"] == dead and row["attempts"] == 8
    assert row["last_error"] == "attempt 8: receiver answered HTTP 500"
    assert row["target"] == "https://hooks.slack.com/…"
    retried = client.post(f"/api/v1/alert-deliveries/{dead}/retry", headers=admin).json()
    assert (retried["status"], retried["attempts"]) == ("pending", 0)
    refused = client.post(f"/api/v1/alert-deliveries/{sent}/retry", headers=admin)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "status"
    assert client.post("/api/v1/alert-deliveries/999/retry", headers=admin).status_code == 404


def test_suppression_windows_crud(client: TestClient, world: World) -> None:
    admin = bearer(world.admin_token)
    past = client.post(
        "/api/v1/alert-suppressions",
        headers=admin,
        json={"subject_id": world.subject, "until": "2001-01-01T00:00:00Z"},
    )
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "until"
    unknown = client.post(
        "/api/v1/alert-suppressions",
        headers=admin,
        json={"subject_id": 4242, "until": "2999-01-01T00:00:00Z"},
    )
    assert unknown.json()["errors"][0]["field"] == "subject_id"
    made = client.post(
        "/api/v1/alert-suppressions",
        headers=admin,
        json={"metric": "volume", "until": "2999-01-01T00:00:00Z", "reason": "launch"},
    ).json()
    assert made["subject_id"] is None and made["reason"] == "launch"
    gone = client.delete(f"/api/v1/alert-suppressions/{made['id']}", headers=admin)
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/alert-suppressions/{made['id']}", headers=admin)
    assert again.status_code == 404


def test_a_browser_session_needs_the_csrf_header(client: TestClient, world: World) -> None:
    from alerts_world import login

    alert_id = world.alert()
    token = login(client, "bo@example.com")
    assert client.post(f"/api/v1/alerts/{alert_id}/acknowledge").status_code == 403
    ok = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200


def test_sorted_by_severity_by_default_or_by_recency(client: TestClient, world: World) -> None:
    mild_new = world.alert(severity=3, minutes=0)
    grave_old = world.alert(severity=9, minutes=-30)
    h = bearer(world.agent_token)
    by_severity = client.get("/api/v1/alerts", headers=h).json()["items"]
    assert [a["id"] for a in by_severity] == [grave_old, mild_new]
    recent = client.get("/api/v1/alerts?sort=recent", headers=h).json()["items"]
    assert [a["id"] for a in recent] == [mild_new, grave_old]
    assert client.get("/api/v1/alerts?sort=loudest", headers=h).status_code == 422
