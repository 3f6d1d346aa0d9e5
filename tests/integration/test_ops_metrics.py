"""``/metrics`` scraped with the Prometheus parser after ingesting; ``/healthz``, ``/readyz``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from groundswell.app import create_app
from groundswell.auth.models import ApiToken, AuditEntry
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from gs_testing import make_settings

METRICS_TOKEN = "metrics-scraper-secret-0123456789"


def post(ext: str) -> dict[str, Any]:
    return {
        "channel": "twitter",
        "external_id": ext,
        "text": f"@united my bag is lost again ({ext})",
        "created_at": "2024-05-01T12:00:00Z",
        "author": {"external_id": f"u{ext}", "handle": f"user{ext}", "followers": 10},
    }


@pytest.fixture
def app_client(database_url: str) -> Iterator[tuple[TestClient, dict[str, str], Database]]:
    settings = make_settings(database_url, metrics_cache_seconds=0, metrics_token=METRICS_TOKEN)
    db = Database(settings)
    with db.session() as s:
        user = create_user(s, data=UserCreate(email="ops@example.com", password="password123"))
        token = create_api_token(s, user_id=user.id, name="ops")
    app = create_app(settings, broker=MemoryBroker())
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {token}"}, db
    db.dispose()


def scrape(client: TestClient, headers: dict[str, str]) -> dict[tuple[str, tuple[Any, ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(values: dict[tuple[str, tuple[Any, ...]], float], name: str, **labels: str) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_after_ingesting(
    app_client: tuple[TestClient, dict[str, str], Database],
) -> None:
    client, auth, _ = app_client
    before = scrape(client, auth)
    r = client.post("/api/v1/ingest", json=[post("1"), post("2"), post("3")], headers=auth)
    assert r.status_code == 202, r.text
    app_state: Any = client.app.state  # type: ignore[attr-defined]
    stream = posts_stream(app_state.settings)
    assert app_state.broker.wait_idle(stream, PROCESS_GROUP, timeout=30)
    after = scrape(client, auth)

    stored = "groundswell_interactions_stored_total"
    assert value(after, stored, channel="twitter") - value(before, stored, channel="twitter") == 3
    assert value(after, "groundswell_interactions_last_id") >= 3
    assert value(before, "groundswell_interactions_last_id") == 0
    enrich = "groundswell_stage_seconds_count"
    assert value(after, enrich, stage="enrich") > value(before, enrich, stage="enrich")
    assert value(after, enrich, stage="remember") > value(before, enrich, stage="remember")
    # The broker's groups are listed with their lag, drained by now.
    assert ("groundswell_broker_lag", (("group", PROCESS_GROUP), ("stream", stream))) in after
    assert value(after, "groundswell_broker_lag", stream=stream, group=PROCESS_GROUP) == 0
    assert value(after, "groundswell_broker_pending", stream=stream, group=PROCESS_GROUP) == 0
    assert value(after, "groundswell_scrape_source_up", source="database") == 1
    assert value(after, "groundswell_scrape_source_up", source="broker") == 1
    for status in ("pending", "failed", "dead"):
        key = ("groundswell_notification_deliveries", (("kind", "event"), ("status", status)))
        assert key in after
    assert ("groundswell_sla_breached_open_cases", ()) in after
    assert ("groundswell_dead_letter_records", ()) in after


def test_metrics_need_a_read_token_or_the_metrics_token(
    app_client: tuple[TestClient, dict[str, str], Database],
) -> None:
    client, auth, db = app_client
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert client.get("/metrics", headers=scraper).status_code == 200
    with db.session() as s:
        s.execute(update(ApiToken).values(scopes="ingest"))
    refused = client.get("/metrics", headers=auth)
    assert refused.status_code == 403


def test_token_use_is_audited_once_per_hour(
    app_client: tuple[TestClient, dict[str, str], Database],
) -> None:
    client, auth, db = app_client
    for _ in range(3):
        assert client.get("/metrics", headers=auth).status_code == 200
    with db.session() as s:
        used = s.query(AuditEntry).filter(AuditEntry.action == "token.used").all()
        assert len(used) == 1
        assert used[0].actor == "ops@example.com"


def test_health_and_readiness(app_client: tuple[TestClient, dict[str, str], Database]) -> None:
    client, _, _ = app_client
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["failed"] == []


class DeadBroker(MemoryBroker):
    def pending(self, stream: str, group: str) -> int:
        raise ConnectionError("broker down")


def test_readiness_names_the_broker_when_it_is_down(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url), broker=DeadBroker(), embedded_worker=False)
    with TestClient(app) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["broker"]
    assert ready.json()["checks"]["database"] == "ok"
    assert client.get("/healthz").status_code == 200


def test_readiness_names_the_database_when_it_is_down(tmp_path: Any) -> None:
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'gs.db'}"
    app = create_app(make_settings(missing), broker=MemoryBroker(), embedded_worker=False)
    client = TestClient(app)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["database"]
    assert client.get("/healthz").status_code == 200


def test_connector_and_sla_gauges_read_the_database(db: Database) -> None:
    from datetime import UTC, datetime

    from groundswell.api.ops_metrics import database_metrics
    from groundswell.channels.runtime.models import ChannelAccount, ChannelSource
    from groundswell.engagement.models import Case

    now = datetime(2026, 3, 1, tzinfo=UTC)
    with db.session() as s:
        account = ChannelAccount(
            key="x-main",
            kind="x",
            name="X",
            status="degraded",
            monthly_budget=100.0,
            budget_used=25.0,
        )
        s.add(account)
        s.flush()
        s.add(ChannelSource(account_id=account.id, name="mentions", error_count=3))
        for status, breached in (("open", now), ("resolved", now), ("open", None)):
            s.add(
                Case(
                    subject="s",
                    channel="twitter",
                    status=status,
                    breached_at=breached,
                    opened_at=now,
                    last_activity_at=now,
                    tags=[],
                    intents=[],
                    priority_reasons=[],
                )
            )
    with db.session() as s:
        found = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in database_metrics(s)
            for sample in family.samples
        }
    labels = (("account", "x-main"), ("kind", "x"))
    assert found[("groundswell_connector_status", (*labels, ("status", "degraded")))] == 1
    assert found[("groundswell_connector_budget_used_ratio", labels)] == 0.25
    assert found[("groundswell_connector_source_errors", labels)] == 3
    assert found[("groundswell_sla_breached_open_cases", ())] == 1
    assert found[("groundswell_sla_breaches", ())] == 2


def test_dead_letters_move_both_the_counter_and_the_gauge(
    app_client: tuple[TestClient, dict[str, str], Database],
) -> None:
    from groundswell.core.brokers import Message
    from groundswell.workers.process_stage import ProcessStage

    client, auth, db = app_client
    app_state: Any = client.app.state  # type: ignore[attr-defined]
    before = scrape(client, auth)
    stage = ProcessStage(app_state.settings, db, app_state.broker)
    stage.dead_letter(Message("9-0", b'{"channel": "twitter", "external_id": "x"}', 6), "boom")
    after = scrape(client, auth)
    counter = "groundswell_dead_letters_total"
    assert value(after, counter, stream="posts") - value(before, counter, stream="posts") == 1
    gauge = "groundswell_dead_letter_records"
    assert value(after, gauge) - value(before, gauge) == 1
