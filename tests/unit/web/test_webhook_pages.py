"""The admin Webhooks page: create (secret shown once), pause, delete, and the delivery
log showing a dead delivery with its error."""

from __future__ import annotations

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.notify.models import Delivery, WebhookSubscription


def test_admin_manages_webhooks_from_the_page(
    client: TestClient, factory: Factory, db: Database
) -> None:
    factory.user(email="ana@example.com", role="admin")
    factory.user(email="agent@example.com", role="agent")
    login(client, "agent@example.com")
    assert client.get("/admin/webhooks").status_code == 403
    assert 'href="/admin/webhooks"' not in client.get("/stream").text
    login(client)
    page = client.get("/admin/webhooks")
    assert page.status_code == 200 and 'href="/admin/webhooks"' in page.text
    csrf = page_csrf(client, "/admin/webhooks")
    refused = client.post(
        "/admin/webhooks",
        data={
            "csrf_token": csrf,
            "name": "x",
            "url": "http://10.0.0.9:9/x",
            "event_types": ["case.opened"],
        },
    )
    assert refused.status_code == 422 and "url:" in refused.text
    none = client.post(
        "/admin/webhooks",
        data={"csrf_token": csrf, "name": "x", "url": "https://hooks.example.com/x"},
    )
    assert none.status_code == 422 and "event_types" in none.text
    made = client.post(
        "/admin/webhooks",
        data={
            "csrf_token": csrf,
            "name": "<b>CRM</b>",
            "url": "https://hooks.example.com/x",
            "event_types": ["case.opened", "alert.opened"],
        },
    )
    assert made.status_code == 200
    secret = made.text.split('<code class="secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert "<b>CRM</b>" not in made.text and "&lt;b&gt;CRM&lt;/b&gt;" in made.text
    again = client.get("/admin/webhooks")
    assert secret not in again.text  # shown once
    with db.session() as s:
        sub = s.scalars(select(WebhookSubscription)).one()
        assert sub.event_types == ["alert.opened", "case.opened"]
        s.add(
            Delivery(
                kind="event",
                event="case.opened",
                target=sub.url,
                subscription_id=sub.id,
                status="dead",
                attempts=8,
                last_error="attempt 8: receiver answered HTTP 500",
                payload={},
            )
        )
        sub_id = sub.id
    log = client.get("/admin/webhooks?status=dead")
    assert "receiver answered HTTP 500" in log.text and "badge-dead" in log.text
    assert "receiver answered" not in client.get("/admin/webhooks?status=sent").text
    assert client.get("/admin/webhooks?status=bogus").status_code == 422
    paused = client.post(
        "/admin/webhooks/active",
        data={"csrf_token": csrf, "subscription_id": sub_id, "active": "false"},
        follow_redirects=False,
    )
    assert paused.status_code == 303
    with db.session() as s:
        row = s.get(WebhookSubscription, sub_id)
        assert row is not None and row.active is False
    no_csrf = client.post("/admin/webhooks/delete", data={"subscription_id": sub_id})
    assert no_csrf.status_code == 403
    gone = client.post(
        "/admin/webhooks/delete",
        data={"csrf_token": csrf, "subscription_id": sub_id},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    with db.session() as s:
        assert s.scalars(select(WebhookSubscription)).all() == []
        assert s.scalars(select(Delivery)).all() == []
