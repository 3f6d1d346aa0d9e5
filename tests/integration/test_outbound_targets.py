"""SSRF: targets pointing into the server's own network are refused when saved and when
delivered; agents never read webhook URLs; only admins read delivery errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.listening.alerts.models import AlertRule
from groundswell.listening.alerts.redaction import GENERIC_DELIVERY_ERROR, delivery_for_role
from groundswell.listening.alerts.schemas import DeliveryRead
from groundswell.notify.senders import (
    DeliveryConfig,
    DeliveryError,
    Outgoing,
    send_slack,
    send_webhook,
)
from groundswell.settings import Settings
from gs_testing import make_settings

SLACK = "https://hooks.slack.com/services/T000/B000/very-secret-token"


def tokens(db: Database) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    with db.session() as s:
        for role in ("admin", "analyst", "agent"):
            user = create_user(
                s, data=UserCreate(email=f"{role}@example.com", password="password123", role=role)
            )
            token = create_api_token(s, user_id=user.id, name=role)
            found[role] = {"Authorization": f"Bearer {token}"}
    return found


@pytest.fixture
def api(sqlite_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    settings = make_settings(sqlite_url, outbound_allow_hosts="")
    db = Database(settings)
    headers = tokens(db)
    with TestClient(create_app(settings, broker=MemoryBroker())) as client:
        yield client, headers
    db.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost:5432/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "http://[::1]:8080/",
        "http://0.0.0.0:22/",
    ],
)
@pytest.mark.parametrize("kind", ["webhook", "slack"])
def test_saving_an_internal_target_is_refused(
    api: tuple[TestClient, dict[str, dict[str, str]]], kind: str, url: str
) -> None:
    client, headers = api
    body = {"name": "r", "targets": [{"kind": kind, "to": url}]}
    response = client.post("/api/v1/alert-rules", json=body, headers=headers["analyst"])
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "targets.0.to"


def test_an_allowed_host_can_be_saved(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, outbound_allow_hosts="127.0.0.1")
    db = Database(settings)
    headers = tokens(db)
    body = {"name": "r", "targets": [{"kind": "webhook", "to": "http://127.0.0.1:9/in"}]}
    with TestClient(create_app(settings, broker=MemoryBroker())) as client:
        created = client.post("/api/v1/alert-rules", json=body, headers=headers["admin"])
        assert created.status_code == 201, created.text
        rule_id = created.json()["id"]
        internal = {"targets": [{"kind": "webhook", "to": "http://10.1.1.1/in"}]}
        changed = client.patch(
            f"/api/v1/alert-rules/{rule_id}", json=internal, headers=headers["admin"]
        )
        assert changed.status_code == 422, changed.text
    db.dispose()


def test_no_one_reads_a_saved_webhook_url_and_sending_it_back_masked_keeps_it(
    sqlite_url: str,
) -> None:
    settings = make_settings(sqlite_url, outbound_allow_hosts="hooks.slack.com")
    db = Database(settings)
    headers = tokens(db)
    body = {"name": "r", "targets": [{"kind": "slack", "to": SLACK}]}
    with TestClient(create_app(settings, broker=MemoryBroker())) as client:
        created = client.post("/api/v1/alert-rules", json=body, headers=headers["analyst"])
        assert created.status_code == 201, created.text
        assert "very-secret-token" not in created.text  # not even echoed to its author
        rule_id = created.json()["id"]
        for role in ("agent", "analyst", "admin"):
            for path in ("/api/v1/alert-rules", f"/api/v1/alert-rules/{rule_id}"):
                read = client.get(path, headers=headers[role])
                assert read.status_code == 200
                assert "very-secret-token" not in read.text
                assert "https://hooks.slack.com/…" in read.text

        # The rule as read, sent back with another change: the saved URL stays.
        rule = client.get(f"/api/v1/alert-rules/{rule_id}", headers=headers["analyst"]).json()
        patch = {"name": "renamed", "targets": rule["targets"]}
        kept = client.patch(
            f"/api/v1/alert-rules/{rule_id}", json=patch, headers=headers["analyst"]
        )
        assert kept.status_code == 200, kept.text
        assert "very-secret-token" not in kept.text
        with db.session() as s:
            assert s.get(AlertRule, rule_id).targets == [{"kind": "slack", "to": SLACK}]

        # A masked URL that matches nothing saved is refused, naming the target.
        other = {"targets": [{"kind": "slack", "to": "https://other.example.com/…"}]}
        refused = client.patch(
            f"/api/v1/alert-rules/{rule_id}", json=other, headers=headers["analyst"]
        )
        assert refused.status_code == 422
        assert "targets.0.to" in refused.text
        masked_new = {
            "name": "x",
            "targets": [{"kind": "slack", "to": "https://hooks.slack.com/…"}],
        }
        assert (
            client.post(
                "/api/v1/alert-rules", json=masked_new, headers=headers["analyst"]
            ).status_code
            == 422
        )

        # A whole new URL replaces it.
        fresh = SLACK.replace("very-secret-token", "rotated-token")
        replaced = client.patch(
            f"/api/v1/alert-rules/{rule_id}",
            json={"targets": [{"kind": "slack", "to": fresh}]},
            headers=headers["analyst"],
        )
        assert replaced.status_code == 200, replaced.text
        with db.session() as s:
            assert s.get(AlertRule, rule_id).targets == [{"kind": "slack", "to": fresh}]
    db.dispose()


def _item(url: str) -> Outgoing:
    return Outgoing(id=1, kind="webhook", target=url, event="opened", payload={"alert": {}})


def _config(settings: Settings, resolver_answer: str) -> DeliveryConfig:
    def resolver(host: str, port: int) -> Sequence[str]:
        return [resolver_answer]

    config = DeliveryConfig.from_settings(settings, timeout_s=1.0)
    policy = OutboundPolicy(allow_hosts=config.outbound.allow_hosts, resolver=resolver)
    return DeliveryConfig(**{**config.__dict__, "outbound": policy})


@pytest.mark.parametrize("sender", [send_webhook, send_slack])
def test_delivery_checks_again_when_dns_changed(sqlite_url: str, sender: object) -> None:
    """Saved while it resolved publicly; at delivery it points at loopback: no request."""
    config = _config(make_settings(sqlite_url), "127.0.0.1")
    with pytest.raises(DeliveryError, match="target refused"):
        sender(_item("https://hooks.example.com/in"), config)  # type: ignore[operator]


def test_delivery_errors_are_generic_for_everyone_but_admins() -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    delivery = DeliveryRead(
        id=1,
        alert_id=1,
        rule_id=1,
        event="opened",
        kind="webhook",
        target="http://10.0.0.1/…",
        status="failed",
        attempts=1,
        next_attempt_at=now,
        last_error="could not connect",
        created_at=now,
        sent_at=None,
    )
    assert delivery_for_role(delivery, "admin").last_error == "could not connect"
    for role in ("analyst", "agent"):
        assert delivery_for_role(delivery, role).last_error == GENERIC_DELIVERY_ERROR


def test_the_rules_page_names_the_refused_target_line(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, outbound_allow_hosts="")
    db = Database(settings)
    tokens(db)
    with TestClient(create_app(settings, broker=MemoryBroker())) as client:
        page = client.get("/login")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post(
            "/login",
            data={"email": "analyst@example.com", "password": "password123", "csrf_token": csrf},
        )
        csrf = client.get("/alerts/rules").text.split('"X-CSRF-Token": "', 1)[1].split('"')[0]
        answer = client.post(
            "/alerts/rules",
            data={
                "name": "internal",
                "metrics": ["volume"],
                "min_severity": "1",
                "targets": "in_app\nwebhook http://169.254.169.254/latest",
                "csrf_token": csrf,
            },
        )
    db.dispose()
    assert answer.status_code == 422
    assert "line 2: host &#39;169.254.169.254&#39; resolves to a non-public address" in answer.text
