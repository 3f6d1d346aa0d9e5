"""``POST /api/v1/webhooks/{channel}`` over real HTTP: the generic signed webhook with
touchpoints, Twilio SMS from its stand-in, and every refusal kept with its reason."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import select

from channels_testing import serve_app
from groundswell.app import create_app
from groundswell.channels.base import Reply, SendError
from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.sms.connector import TwilioConfig, TwilioSms
from groundswell.channels.sms.standin import TwilioStandin
from groundswell.channels.webhook.connector import (
    GenericWebhook,
    GenericWebhookConfig,
    signed_headers,
)
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Interaction
from groundswell.ingestion.models import RejectedRecord
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from gs_testing import make_settings, migrated_sqlite_url

SECRET = b"whsec-e2e"


class Live:
    def __init__(self, base: str, db: Database, app: object, twilio: TwilioStandin) -> None:
        self.base, self.db, self.app, self.twilio = base, db, app, twilio

    def wait_stored(self) -> None:
        state = self.app.state  # type: ignore[attr-defined]
        assert state.broker.wait_idle(posts_stream(state.settings), PROCESS_GROUP, timeout=30)

    def interactions(self) -> list[Interaction]:
        with self.db.session() as s:
            rows = list(s.scalars(select(Interaction).order_by(Interaction.id)))
            s.expunge_all()
            return rows

    def rejections(self) -> list[RejectedRecord]:
        with self.db.session() as s:
            rows = list(s.scalars(select(RejectedRecord).order_by(RejectedRecord.id)))
            s.expunge_all()
            return rows


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    settings = make_settings(url)
    app = create_app(settings, broker=MemoryBroker())
    with TwilioStandin() as twilio, serve_app(app) as base:
        registry = WebhookRegistry()
        registry.register(GenericWebhook(GenericWebhookConfig(secret=SECRET)))
        registry.register(
            TwilioSms(
                TwilioConfig(
                    account_sid=twilio.account_sid,
                    auth_token=twilio.auth_token,
                    from_number=twilio.number,
                    webhook_url=base + "/api/v1/webhooks/sms",
                    api_base=twilio.url,
                )
            )
        )
        app.state.webhooks = registry
        db = Database(settings)
        yield Live(base, db, app, twilio)  # type: ignore[arg-type]
        db.dispose()


def signed_post(live: Live, doc: object, *, secret: bytes = SECRET) -> httpx.Response:
    body = orjson.dumps(doc)
    headers = signed_headers(secret, body, timestamp=int(time.time()), delivery=uuid.uuid4().hex)
    return httpx.post(live.base + "/api/v1/webhooks/webhook", content=body, headers=headers)


def test_touchpoints_and_sms_join_one_contact(live: Live) -> None:
    sms = live.twilio.inbound_params("+351912345678", "My bag is still missing")
    answer = live.twilio.deliver(live.base + "/api/v1/webhooks/sms", sms)
    assert answer.status_code == 200 and answer.json()["accepted"] == 1
    call = {
        "type": "touchpoint",
        "data": {
            "id": "call-1",
            "kind": "call",
            "occurred_at": "2026-11-20T08:30:00Z",
            "contact": {"phone": "+351912345678", "name": "Ana"},
            "summary": "Called about the bag",
            "duration_seconds": 300,
        },
    }
    assert signed_post(live, {"events": [call]}).json()["accepted"] == 1
    live.wait_stored()
    rows = live.interactions()
    assert {r.text for r in rows} == {
        "My bag is still missing",
        "Call (5 min): Called about the bag",
    }
    assert rows[0].contact_id is not None and rows[0].contact_id == rows[1].contact_id
    with live.db.session() as s:
        assert len(list(s.scalars(select(Contact)))) == 1


def test_replayed_sms_is_stored_once(live: Live) -> None:
    sms = live.twilio.inbound_params("+351900000001", "hello")
    url = live.base + "/api/v1/webhooks/sms"
    assert live.twilio.deliver(url, sms).status_code == 200
    assert live.twilio.deliver(url, sms).status_code == 200  # Twilio retries the same SID
    live.wait_stored()
    assert len(live.interactions()) == 1


def test_refusals_are_answered_and_dead_lettered(live: Live) -> None:
    url = live.base + "/api/v1/webhooks/sms"
    sms = live.twilio.inbound_params("+351900000002", "forged")
    forged = live.twilio.deliver(url, sms, signature="bm90IGEgc2lnbmF0dXJl")
    assert forged.status_code == 401
    assert forged.json()["errors"][0]["reason"] == "X-Twilio-Signature does not match"
    assert signed_post(live, {"events": [{}]}, secret=b"other").status_code == 401
    malformed = b"{not json"
    headers = signed_headers(SECRET, malformed, timestamp=int(time.time()), delivery="m1")
    bad_json = httpx.post(
        live.base + "/api/v1/webhooks/webhook", content=malformed, headers=headers
    )
    assert bad_json.status_code == 400 and "malformed JSON" in bad_json.text
    unknown = signed_post(live, {"events": [{"type": "refund", "data": {}}]})
    assert unknown.status_code == 422 and "refund" in unknown.text
    missing = signed_post(live, {"events": [{"type": "post", "data": {"text": "no id"}}]})
    assert missing.status_code == 422
    assert any(e["field"] == "external_id" for e in missing.json()["errors"])
    huge = httpx.post(live.base + "/api/v1/webhooks/sms", content=b"x" * (70 * 1024))
    assert huge.status_code == 413
    nowhere = httpx.post(live.base + "/api/v1/webhooks/nosuch", content=b"{}")
    assert nowhere.status_code == 404
    reasons = [(r.source, r.reason) for r in live.rejections()]
    assert ("webhook:sms", "X-Twilio-Signature does not match") in reasons
    assert ("webhook:sms", "body exceeds 65536 bytes") in reasons
    assert any(src == "webhook:webhook" and "refund" in why for src, why in reasons)
    assert (
        "webhook:webhook",
        "external_id is required (and 2 more errors: created_at, author)",
    ) in (reasons)


def test_sms_reply_reaches_twilio_as_documented(live: Live) -> None:
    sms = TwilioSms(
        TwilioConfig(
            account_sid=live.twilio.account_sid,
            auth_token=live.twilio.auth_token,
            from_number=live.twilio.number,
            webhook_url="unused",
            api_base=live.twilio.url,
        )
    )
    reply = Reply(
        channel="sms",
        text="We'll call you now.",
        idempotency_key="s1",
        visibility="private",
        recipient="+351912345678",
    )
    result = sms.send_reply(reply)
    (request,) = live.twilio.requests_to(
        "POST", f"/2010-04-01/Accounts/{live.twilio.account_sid}/Messages.json"
    )
    assert request.form() == {
        "To": ["+351912345678"],
        "From": [live.twilio.number],
        "Body": ["We'll call you now."],
    }
    assert request.header(
        "Authorization",
    ).startswith("Basic ")  # type: ignore[union-attr]
    assert sms.lookup_sent(reply) == result
    with pytest.raises(SendError) as err:
        sms.send_reply(Reply(channel="sms", text="x", idempotency_key="s2", recipient="12345"))
    assert not err.value.retryable and "21211" in err.value.reason
