"""A web chat visitor's consent box becomes a consent record on their contact, once
(SQLite and PostgreSQL): through the public endpoints, the real pipeline and the
contact API an agent reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.channels.webchat.models import WebchatConversation
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.chat_consent import record_chat_consents
from groundswell.crm.consent_models import Consent
from groundswell.crm.models import Identity
from groundswell.ingestion.schemas import InboundPost
from groundswell.settings import Settings
from groundswell.workers.loops import process_loop

SITE = "https://shop.example.com"


class Chat:
    def __init__(self, db: Database, settings: Settings) -> None:
        with db.session() as s:
            out = service.create_account(
                s,
                settings=settings,
                data=AccountIn(
                    kind="webchat", name="Site chat", settings={"allowed_origins": [SITE]}
                ),
            )
            user = create_user(
                s,
                data=UserCreate(
                    email="agent@example.com", password="x" * 12, role="agent", name="Agent"
                ),  # type: ignore[arg-type]
            )
            self.api = {"Authorization": "Bearer " + create_api_token(s, user_id=user.id, name="t")}
        self.db = db
        self.broker = MemoryBroker()
        self.client = TestClient(create_app(settings, broker=self.broker, embedded_worker=False))
        self.base = f"/chat/v1/{out.config['public_key']}"
        self.process, _ = process_loop(settings, db, self.broker, consumer="p")

    def start(self, email: str, **extra: Any) -> dict[str, str]:
        started = self.client.post(
            f"{self.base}/conversations", json={"email": email, **extra}, headers={"Origin": SITE}
        )
        assert started.status_code == 201, started.text
        return {"Origin": SITE, "Authorization": f"Bearer {started.json()['token']}"}

    def say(self, auth: dict[str, str], client_id: str, text: str) -> None:
        answer = self.client.post(
            f"{self.base}/messages", json={"client_id": client_id, "text": text}, headers=auth
        )
        assert answer.status_code in (200, 201), answer.text

    def contact_of(self, email: str) -> int:
        with self.db.session() as s:
            contact = s.scalar(sa.select(Identity.contact_id).where(Identity.external_id == email))
        assert contact is not None
        return contact

    def consents(self, email: str) -> list[dict[str, Any]]:
        answer = self.client.get(
            f"/api/v1/contacts/{self.contact_of(email)}/consents", headers=self.api
        )
        assert answer.status_code == 200, answer.text
        return [c for c in answer.json() if c["granted"] is not None]

    def contact_page(self, email: str) -> str:
        """The contact page as the agent sees it after logging in through the form."""
        login = self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token
        answer = self.client.post(
            "/login",
            data={"email": "agent@example.com", "password": "x" * 12, "csrf_token": token[1]},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        page = self.client.get(f"/contacts/{self.contact_of(email)}")
        assert page.status_code == 200
        return page.text

    def rows(self) -> list[Consent]:
        with self.db.session() as s:
            return list(s.scalars(sa.select(Consent).order_by(Consent.id)))


@pytest.fixture
def chat(db: Database, settings: Settings) -> Iterator[Chat]:
    world = Chat(db, settings)
    yield world
    world.client.close()


def test_ticked_box_is_one_consent_record_on_the_contact(chat: Chat) -> None:
    auth = chat.start("Maria.Lopez@Example.org", name="Maria", consent=True)
    chat.say(auth, "msg-0001", "my order 4411 is late")
    chat.say(auth, "msg-0001", "my order 4411 is late")  # the widget re-sends after a timeout
    chat.process.drain()
    with chat.db.session() as s:
        conversation = s.scalar(sa.select(WebchatConversation))
        assert conversation is not None
        ref, started = conversation.ref, conversation.created_at

    (consent,) = chat.consents("maria.lopez@example.org")
    assert consent["purpose"] == "marketing" and consent["granted"] is True
    assert consent["source"] == f"webchat:{ref}"
    assert datetime.fromisoformat(consent["recorded_at"]).replace(tzinfo=UTC) == started.replace(
        tzinfo=UTC
    )

    # later messages of the same chat carry the flag too: still one record
    chat.say(auth, "msg-0002", "any news?")
    chat.say(auth, "msg-0002", "any news?")
    chat.process.drain()
    assert len(chat.rows()) == 1
    assert len(chat.consents("maria.lopez@example.org")) == 1
    page = chat.contact_page("maria.lopez@example.org")
    assert f"<td>webchat:{ref}</td>" in page and "<td>marketing</td>" in page


def test_unticked_box_records_nothing(chat: Chat) -> None:
    auth = chat.start("bo@example.org")
    chat.say(auth, "msg-0001", "hello")
    chat.process.drain()
    assert chat.consents("bo@example.org") == []
    assert chat.rows() == []


def test_a_new_chat_that_ticks_the_box_again_is_a_new_statement(chat: Chat) -> None:
    first = chat.start("cy@example.org", consent=True)
    chat.say(first, "msg-0001", "hello")
    chat.process.drain()
    second = chat.start("cy@example.org", consent=True)
    chat.say(second, "msg-0001", "hello again")
    chat.process.drain()
    sources = {c.source for c in chat.rows()}
    assert len(sources) == 2 and all(s.startswith("webchat:") for s in sources)


def test_a_post_claiming_consent_for_another_chat_records_nothing(chat: Chat, db: Database) -> None:
    auth = chat.start("dee@example.org")  # did not tick the box
    chat.say(auth, "msg-0001", "hello")
    chat.process.drain()
    with db.session() as s:
        conversation = s.scalar(sa.select(WebchatConversation))
        assert conversation is not None
        forged = InboundPost.model_validate(
            {
                "channel": conversation.channel_key,
                "external_id": "forged-1",
                "text": "x",
                "created_at": datetime.now(UTC).isoformat(),
                "author": {"external_id": "dee@example.org"},
                "raw": {"conversation": conversation.ref, "consent": True},
            }
        )
        assert record_chat_consents(s, [forged]) == 0
    assert chat.rows() == []
