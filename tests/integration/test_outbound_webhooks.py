"""Outbound webhooks for domain events: signed delivery to a real local receiver,
retries ending ``dead``, and one ``case.replied`` per reply however often the
dispatcher runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from engagement_world import T0, FileNetwork, add_user, store_post
from groundswell.app import create_app
from groundswell.auth.models import ApiToken, AuditEntry
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.core.instance_keys import resolve_keys
from groundswell.core.outbound import OutboundPolicy
from groundswell.engagement import replies
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Case
from groundswell.engagement.rules.service import apply_rules, load_rules
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from groundswell.notify import events
from groundswell.notify.dispatcher import Dispatcher
from groundswell.notify.models import Delivery
from groundswell.notify.queue import RetryPolicy
from groundswell.notify.schemas import SubscriptionCreate
from groundswell.notify.senders import DeliveryConfig
from groundswell.notify.signing import verify
from groundswell.notify.subscriptions import create_subscription
from groundswell.settings import Settings
from groundswell.workers.reply_sender import ReplySender
from gs_testing import make_settings


@dataclass
class Receiver:
    url: str
    answer: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    answer = [200]
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(answer[0])
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_port}/hook", answer, received)
    server.shutdown()
    server.server_close()


def _config(settings: Settings) -> DeliveryConfig:
    return DeliveryConfig.from_settings(settings, timeout_s=5.0)


def _subscribe(db: Database, settings: Settings, url: str, types: list[str]) -> str:
    with db.session() as s:
        created = create_subscription(
            s,
            data=SubscriptionCreate.model_validate(
                {"name": "receiver", "url": url, "event_types": types}
            ),
            outbound=OutboundPolicy.from_setting("127.0.0.1"),
            instance_key=resolve_keys(settings).webhook_key,
            created_by="test",
        )
    return created.secret


def test_an_ingested_post_reaches_the_receiver_signed(
    database_url: str, receiver: Receiver
) -> None:
    settings = make_settings(database_url, outbound_allow_hosts="127.0.0.1")
    db = Database(settings)
    with db.session() as s:
        admin = create_user(
            s, data=UserCreate(email="admin@example.com", password="password123", role="admin")
        )
        token = create_api_token(s, user_id=admin.id, name="admin")
    auth = {"Authorization": f"Bearer {token}"}
    app = create_app(settings, broker=MemoryBroker())
    with TestClient(app) as client:
        refused = client.post(
            "/api/v1/admin/webhooks",
            json={"name": "x", "url": "http://10.1.2.3/hook", "event_types": ["case.opened"]},
            headers=auth,
        )
        assert refused.status_code == 422 and "url" in refused.text
        made = client.post(
            "/api/v1/admin/webhooks",
            json={"name": "crm", "url": receiver.url, "event_types": ["interaction.stored"]},
            headers=auth,
        )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        listed = client.get("/api/v1/admin/webhooks", headers=auth).json()
        assert "secret" not in listed[0] and "secret_salt" not in listed[0]
        post = {
            "channel": "twitter",
            "external_id": "w1",
            "text": "@united <b>lost</b> my bag",
            "created_at": "2024-05-01T12:00:00Z",
            "author": {"external_id": "u1", "handle": "alice"},
        }
        assert client.post("/api/v1/ingest", json=post, headers=auth).status_code == 202
        assert app.state.broker.wait_idle(posts_stream(settings), PROCESS_GROUP, timeout=30)
        dispatcher = Dispatcher(db, _config(settings))
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            dispatcher.run_once()  # the embedded dispatcher may be first: either sends it
            time.sleep(0.1)
        dispatcher.close()
        deliveries = client.get("/api/v1/admin/webhooks/deliveries", headers=auth).json()
    db.dispose()
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert verify(
        secret.encode(),
        body=body,
        timestamp=headers["x-groundswell-timestamp"],
        signature=headers["x-groundswell-signature"],
        now=time.time(),
    )
    assert not verify(
        b"another secret",
        body=body,
        timestamp=headers["x-groundswell-timestamp"],
        signature=headers["x-groundswell-signature"],
        now=time.time(),
    )
    assert headers["x-groundswell-event"] == "interaction.stored"
    event = orjson.loads(body)
    assert event["type"] == "interaction.stored" and event["id"] and event["occurred_at"]
    assert event["data"]["external_id"] == "w1"
    assert event["data"]["text"] == "@united <b>lost</b> my bag"
    assert [d["status"] for d in deliveries] == ["sent"]
    assert headers["x-groundswell-delivery"] == str(deliveries[0]["id"])


def test_nothing_is_written_when_nobody_subscribed(db: Database, settings: Settings) -> None:
    _subscribe(db, settings, "http://127.0.0.1:9/x", ["case.opened"])
    with db.session() as s:
        assert events.emit(s, "interaction.stored", {"id": 1}) == 0
        assert events.emit(s, "case.opened", {"id": 1}) == 1
    with db.session() as s:
        assert len(s.scalars(select(Delivery)).all()) == 1


def test_a_failing_receiver_is_retried_then_dead(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    receiver.answer[0] = 500
    _subscribe(db, settings, receiver.url, ["contact.merged"])
    with db.session() as s:
        events.emit(s, "contact.merged", {"kept_contact_id": 1, "merged_contact_id": 2})
    clock = [T0]
    dispatcher = Dispatcher(
        db,
        _config(make_settings(settings.database_url, outbound_allow_hosts="127.0.0.1")),
        policy=RetryPolicy(max_attempts=3, base_delay_s=10, lease_s=60),
        clock=lambda: clock[0],
    )
    with db.session() as s:
        s.execute(
            Delivery.__table__.update().values(next_attempt_at=T0)  # due at the test's clock
        )
    reports = []
    for _ in range(4):
        reports.append(dispatcher.run_once())
        clock[0] += timedelta(minutes=10)
    dispatcher.close()
    assert [r.failed for r in reports] == [1, 1, 0, 0]
    assert [r.dead for r in reports] == [0, 0, 1, 0]
    assert len(receiver.received) == 3
    with db.session() as s:
        row = s.scalars(select(Delivery)).one()
        assert row.status == "dead" and row.attempts == 3
        assert row.last_error == "attempt 3: receiver answered HTTP 500"


def test_a_case_reply_announces_case_replied_exactly_once(
    db: Database, settings: Settings, receiver: Receiver, tmp_path: Path
) -> None:
    secret = _subscribe(db, settings, receiver.url, ["case.opened", "case.replied"])
    ann = add_user(db, "ann@example.com", "agent")
    with db.session() as s:
        s.add(
            Rule(
                name="Negative tweets",
                position=0,
                stop=True,
                active=True,
                conditions={"channels": ["twitter"], "sentiments": ["negative"]},
                actions=[{"type": "open_case"}],
            )
        )
    iid = store_post(db, "t1", "carla")
    with db.session() as s:
        case = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=T0)
        assert case is not None
        case_id = case.id
    network = FileNetwork(tmp_path / "net.jsonl")
    registry = ConnectorRegistry()
    registry.register(network)
    with db.session() as s:
        replies.queue_reply(
            s,
            case_id=case_id,
            author=replies.Author(ann, "agent"),
            text="We are on it",
            caps=network.caps,
            now=T0,
        )
    sender = ReplySender(db, registry, clock=lambda: T0)
    assert sender.run_once().sent == 1
    assert sender.run_once().sent == 0
    config = _config(make_settings(settings.database_url, outbound_allow_hosts="127.0.0.1"))
    for _ in range(2):
        dispatcher = Dispatcher(db, config, clock=lambda: T0 + timedelta(minutes=1))
        dispatcher.run_once()
        dispatcher.close()
    bodies = [orjson.loads(body) for _, body in receiver.received]
    assert sorted(b["type"] for b in bodies) == ["case.opened", "case.replied"]
    replied = next(b for b in bodies if b["type"] == "case.replied")
    assert replied["data"]["id"] == case_id and replied["data"]["change"]["reply_id"]
    headers, body = next(r for r in receiver.received if b'"case.replied"' in r[1])
    assert verify(
        secret.encode(),
        body=body,
        timestamp=headers["x-groundswell-timestamp"],
        signature=headers["x-groundswell-signature"],
        now=time.time(),
    )
    with db.session() as s:
        rows = s.scalars(select(Delivery).where(Delivery.event == "case.replied")).all()
        assert [r.status for r in rows] == ["sent"]
        assert s.get(Case, case_id) is not None


def test_subscription_changes_are_audited(database_url: str) -> None:
    settings = make_settings(database_url)
    db = Database(settings)
    with db.session() as s:
        admin = create_user(
            s, data=UserCreate(email="admin@example.com", password="password123", role="admin")
        )
        agent = create_user(
            s, data=UserCreate(email="agent@example.com", password="password123", role="agent")
        )
        admin_token = create_api_token(s, user_id=admin.id, name="admin")
        agent_token = create_api_token(s, user_id=agent.id, name="agent")
    app = create_app(settings, broker=MemoryBroker(), embedded_worker=False)
    body = {"name": "x", "url": "https://hooks.example.com/x", "event_types": ["case.opened"]}
    with TestClient(app) as client:
        denied = client.post(
            "/api/v1/admin/webhooks",
            json=body,
            headers={"Authorization": f"Bearer {agent_token}"},
        )
        assert denied.status_code == 403
        auth = {"Authorization": f"Bearer {admin_token}"}
        bad = client.post(
            "/api/v1/admin/webhooks", json={**body, "event_types": ["nope"]}, headers=auth
        )
        assert bad.status_code == 422 and "event_types" in bad.text
        made = client.post("/api/v1/admin/webhooks", json=body, headers=auth).json()
        paused = client.patch(
            f"/api/v1/admin/webhooks/{made['id']}", json={"active": False}, headers=auth
        )
        assert paused.json()["active"] is False
        assert (
            client.delete(f"/api/v1/admin/webhooks/{made['id']}", headers=auth).status_code == 200
        )
        assert (
            client.delete(f"/api/v1/admin/webhooks/{made['id']}", headers=auth).status_code == 404
        )
        # Scopes: an admin's token without the ``admin`` scope is refused here.
        with db.session() as s:
            s.execute(update(ApiToken).where(ApiToken.name == "admin").values(scopes="read"))
        read_only = client.get("/api/v1/admin/webhooks", headers=auth)
        assert read_only.status_code == 403 and "admin" in read_only.json()["detail"]
        export = client.get("/api/v1/admin/audit/export.csv", headers=auth)
        assert export.status_code == 403
    with db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    db.dispose()
    assert [a for a in actions if a.startswith("webhook.")] == [
        "webhook.create",
        "webhook.update",
        "webhook.delete",
    ]
