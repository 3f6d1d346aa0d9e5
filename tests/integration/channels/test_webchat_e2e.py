"""The web chat end to end through the product's own paths (SQLite and PostgreSQL).

An admin connects a webchat channel; a visitor starts a conversation and writes through
the public endpoints; the pipeline stores the message with the visitor's e-mail as the
identity (linked to the contact that e-mail already has on another channel) and a rule
opens a case; the agent's reply goes through the outbox and the sender, and the
visitor's fetch returns it once. Re-posting a message with the same client id stores
nothing new; a sender that crashed after storing a reply reconciles instead of
delivering it twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engagement_world import add_user
from groundswell.app import create_app
from groundswell.channels.base import Capabilities
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.bootstrap import register_configured
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.channels.webchat.models import WebchatMessage
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Identity, Interaction
from groundswell.engagement import actions
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Case
from groundswell.engagement.reply_models import OutboundReply
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import submit_posts
from groundswell.settings import Settings
from groundswell.workers.engagement_stage import engagement_loop
from groundswell.workers.loops import process_loop
from groundswell.workers.reply_sender import ReplySender

SITE = "https://shop.example.com"
VISITOR = "Maria.Lopez@Example.org"


@pytest.fixture
def world(db: Database, settings: Settings) -> Iterator[tuple[TestClient, str, MemoryBroker]]:
    with db.session() as s:
        out = service.create_account(
            s,
            settings=settings,
            data=AccountIn(
                kind="webchat",
                name="Site chat",
                settings={"allowed_origins": [SITE + "/"], "greeting": "Hello <b>there</b>"},
            ),
        )
        s.add(
            Rule(
                name="web chats",
                position=0,
                stop=False,
                active=True,
                conditions={"channels": ["webchat"]},
                actions=[{"type": "open_case"}],
            )
        )
    broker = MemoryBroker()
    app = create_app(settings, broker=broker, embedded_worker=False)
    yield TestClient(app), str(out.config["public_key"]), broker


def _known_by_email(settings: Settings, broker: MemoryBroker) -> None:
    """The same person wrote by SMS before and her contact has her address."""
    post = InboundPost.model_validate(
        {
            "channel": "sms",
            "external_id": "SM1",
            "text": "hello from my phone, my address is maria.lopez@example.org",
            "created_at": datetime.now(UTC).isoformat(),
            "author": {"external_id": "+351912345678", "email": "maria.lopez@example.org"},
        }
    )
    submit_posts(broker, settings, [post])


def test_a_chat_becomes_a_case_and_the_reply_reaches_the_visitor_once(
    world: tuple[TestClient, str, MemoryBroker], db: Database, settings: Settings
) -> None:
    client, key, broker = world
    base = f"/chat/v1/{key}"
    headers = {"Origin": SITE}
    process, _ = process_loop(settings, db, broker, consumer="p")
    registry = ConnectorRegistry()
    engage, _ = engagement_loop(settings, db, broker, consumer="e", registry=registry)
    with db.session() as s:
        register_configured(s, settings=settings, registry=registry)
    _known_by_email(settings, broker)
    process.drain()

    config = client.get(f"{base}/config", headers=headers)
    assert config.status_code == 200
    assert config.headers["access-control-allow-origin"] == SITE
    assert config.json()["greeting"] == "Hello <b>there</b>"
    started = client.post(
        f"{base}/conversations",
        json={"email": VISITOR, "name": "Maria", "consent": True},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    auth = {**headers, "Authorization": f"Bearer {started.json()['token']}"}
    hostile = "<img src=x onerror=alert(1)> my order 4411 is late"
    first = client.post(
        f"{base}/messages", json={"client_id": "msg-0001", "text": hostile}, headers=auth
    )
    assert first.status_code == 201 and first.json()["duplicate"] is False
    again = client.post(
        f"{base}/messages", json={"client_id": "msg-0001", "text": hostile}, headers=auth
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    process.drain()
    engage.drain()

    with db.session() as s:
        rows = list(s.scalars(sa.select(Interaction).where(Interaction.text == hostile)))
        assert len(rows) == 1
        identity = s.get(Identity, rows[0].identity_id)
        assert identity is not None and identity.external_id == "maria.lopez@example.org"
        sms = s.scalar(sa.select(Interaction).where(Interaction.external_id == "SM1"))
        assert sms is not None and rows[0].contact_id == sms.contact_id
        case = s.scalar(sa.select(Case).where(Case.channel == "webchat"))
        assert case is not None
        case_id = case.id
        assert s.scalar(sa.select(sa.func.count()).select_from(WebchatMessage)) == 1

    agent_id = add_user(db, "agent@example.com", "agent", "Ana Agent")
    agent = actions.Actor(agent_id, "agent", "Ana Agent")

    def caps_of(channel: str) -> Capabilities | None:
        return registry.capabilities(channel)

    with db.session() as s:
        queued = actions.reply(
            s,
            case_id=case_id,
            actor=agent,
            caps_of=caps_of,
            now=utcnow(),
            text="Sorry Maria, it ships today.",
        )
        reply_id = queued.id
        assert queued.visibility == "private"
    fetched = client.get(f"{base}/messages?after=0", headers=auth).json()
    assert [m["direction"] for m in fetched["messages"]] == ["in"]
    cursor = fetched["cursor"]
    sender = ReplySender(db, registry)
    assert sender.run_once().sent == 1
    assert sender.run_once().sent == 0

    page = client.get(f"{base}/messages?after={cursor}", headers=auth)
    assert page.status_code == 200
    assert [(m["direction"], m["text"]) for m in page.json()["messages"]] == [
        ("out", "Sorry Maria, it ships today.")
    ]
    later = client.get(f"{base}/messages?after={page.json()['cursor']}", headers=auth).json()
    assert later["messages"] == [] and later["cursor"] == page.json()["cursor"]
    with db.session() as s:
        row = s.get(OutboundReply, reply_id)
        assert row is not None and row.status == "sent"
        assert row.external_id and row.external_id.startswith("chat-")

        # a sender that stored the reply and died before recording it: reconciled, not resent
        row.status, row.next_attempt_at = "sending", utcnow()
    report = sender.run_once()
    assert (report.reconciled, report.sent) == (1, 0)
    with db.session() as s:
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(WebchatMessage)
                .where(WebchatMessage.direction == "out")
            )
            == 1
        )

    # the visitor's next message joins the same conversation and case
    client.post(f"{base}/messages", json={"client_id": "msg-0002", "text": "thanks!"}, headers=auth)
    process.drain()
    engage.drain()
    with db.session() as s:
        texts = {i.text: i.conversation_id for i in s.scalars(sa.select(Interaction))}
        assert texts["thanks!"] == texts[hostile]
        assert s.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_bad_input_is_a_4xx_naming_the_field(
    world: tuple[TestClient, str, MemoryBroker],
) -> None:
    client, key, _broker = world
    base = f"/chat/v1/{key}"
    headers = {"Origin": SITE}
    cases = [
        ({"email": "not-an-email"}, 422, "email"),
        ({"email": "a@b.co", "name": "x" * 101}, 422, "name"),
        ({"email": "a@b.co", "extra": 1}, 422, "extra"),
        ([1, 2], 422, "body"),
    ]
    for body, status, field in cases:
        answer = client.post(f"{base}/conversations", json=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["errors"][0]["field"] == field
    raw = client.post(f"{base}/conversations", content=b"{nope", headers=headers)
    assert raw.status_code == 400 and raw.json()["errors"][0]["field"] == "body"
    big = client.post(f"{base}/conversations", content=b"x" * 9000, headers=headers)
    assert big.status_code == 413
    assert client.get(f"/chat/v1/{'x' * 20}/config").status_code == 404
    elsewhere = client.get(f"{base}/config", headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403 and "access-control-allow-origin" not in elsewhere.headers
    preflight = client.options(
        f"{base}/messages",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "authorization" in preflight.headers["access-control-allow-headers"]

    token = client.post(f"{base}/conversations", json={"email": "a@b.co"}, headers=headers)
    auth = {**headers, "Authorization": f"Bearer {token.json()['token']}"}
    for body, field in [
        ({"client_id": "short", "text": "hi"}, "client_id"),
        ({"client_id": "m-00000001", "text": "   "}, "text"),
        ({"client_id": "m-00000001", "text": "x" * 2001}, "text"),
    ]:
        answer = client.post(f"{base}/messages", json=body, headers=auth)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field
    assert client.get(f"{base}/messages?after=-1", headers=auth).status_code == 422
    assert (
        client.get(f"{base}/messages?after=99999999999999999999", headers=auth).status_code == 422
    )
    wrong = {**headers, "Authorization": "Bearer " + "A" * 43}
    assert client.get(f"{base}/messages", headers=wrong).status_code == 401
    assert client.get(f"{base}/messages", headers=headers).status_code == 401


def test_starting_conversations_is_rate_limited_per_address(
    world: tuple[TestClient, str, MemoryBroker],
) -> None:
    client, key, _broker = world
    answers = [
        client.post(f"/chat/v1/{key}/conversations", json={"email": f"v{n}@example.com"})
        for n in range(21)
    ]
    assert [a.status_code for a in answers[:20]] == [201] * 20
    assert answers[20].status_code == 429 and int(answers[20].headers["retry-after"]) >= 1


def test_the_demo_connects_one_webchat_channel_and_its_rule(
    db: Database, settings: Settings
) -> None:
    from groundswell.demo.webchat_demo import RULE, ensure_webchat

    ensure_webchat(db, settings)
    with db.session() as s:
        first = service.get_account(s, key="webchat").config["public_key"]
    ensure_webchat(db, settings)  # every make run starts it again
    with db.session() as s:
        assert service.get_account(s, key="webchat").config["public_key"] == first
        rules = list(s.scalars(sa.select(Rule).where(Rule.name == RULE)))
        assert len(rules) == 1 and rules[0].conditions == {"channels": ["webchat"]}
        assert rules[0].actions[0] == {"type": "open_case"}
