"""An e-mail conversation end to end, through the product's own paths and real servers.

An admin connects a mailbox (channels runtime); the customer's message is delivered
into Dovecot; the connector runner reads it, the pipeline stores it, a rule opens a
case; the agent's reply goes through the outbox and the reply sender to aiosmtpd,
threaded to the customer's message; the agent resolves; the customer's answer to our
Message-ID is delivered into Dovecot and reopens the case.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from imapclient import IMAPClient

from engagement_world import add_user
from groundswell.channels.base import Capabilities
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.brokers import Broker, open_broker
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.engagement import actions
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Case, CaseEvent
from groundswell.engagement.reply_models import OutboundReply
from groundswell.settings import Settings
from groundswell.workers.connectors import ConnectorRunner
from groundswell.workers.engagement_stage import engagement_loop
from groundswell.workers.loops import process_loop
from groundswell.workers.reply_sender import ReplySender
from mail_servers import Dovecot, SmtpSink, dovecot_available, free_port

CUSTOMER = "maria@example.org"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    why = dovecot_available()
    if why:
        pytest.skip(why)
    # not under pytest's tmp dir: that is 0700 and Dovecot's auth user must read the users
    root = Path(tempfile.mkdtemp(prefix="gs-dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, SmtpSink]]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()


@pytest.fixture
def broker(settings: Settings) -> Iterator[Broker]:
    b = open_broker(settings.broker_url)
    yield b
    b.close()


def _customer_mail(
    to: str, message_id: str, subject: str, text: str, *, parent: str | None = None
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = f"Maria Lopez <{CUSTOMER}>", to
    msg["Subject"], msg["Message-ID"] = subject, message_id
    msg["Date"] = format_datetime(utcnow())
    if parent:
        msg["In-Reply-To"] = parent
        msg["References"] = f"<order-1@example.org> {parent}"
    msg.set_content(text)
    return msg.as_bytes()


def test_an_email_case_is_answered_over_smtp_and_the_customers_answer_reopens_it(
    db: Database,
    settings: Settings,
    broker: Broker,
    dovecot: Dovecot,
    smtp_server: tuple[int, SmtpSink],
) -> None:
    address, password = dovecot.add_user()
    port, sink = smtp_server
    # the admin connects the mailbox, as the channels page and API do
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(
                kind="email",
                name="Support mailbox",
                settings={
                    "address": address,
                    "password": password,
                    "imap_host": "127.0.0.1",
                    "imap_port": dovecot.port,
                    "imap_ssl": False,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "smtp_starttls": False,
                    "smtp_login": False,
                    "display_name": "Groundswell Support",
                },
            ),
        )
        s.add(
            Rule(
                name="orders",
                position=0,
                stop=False,
                active=True,
                conditions={"keywords": ["order"]},
                actions=[{"type": "open_case"}],
            )
        )
    agent_id = add_user(db, "agent@example.com", "agent", "Ana Agent")
    agent = actions.Actor(agent_id, "agent", "Ana Agent")

    def deliver(raw: bytes) -> None:  # what the MTA's delivery agent does
        with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
            client.login(address, password)
            client.append("INBOX", raw)

    registry = ConnectorRegistry()
    runner = ConnectorRunner(settings, db, broker, owner="r", registry=registry)
    runner.refresh(start_threads=False)
    process, _ = process_loop(settings, db, broker, consumer="p")
    engage, _ = engagement_loop(settings, db, broker, consumer="e", registry=registry)
    sender = ReplySender(db, registry)

    def caps_of(channel: str) -> Capabilities | None:
        return registry.capabilities(channel)

    def read_mailbox() -> None:
        assert runner.cycle("email", "inbox").posts == 1
        process.drain()
        engage.drain()

    # 1. the customer writes; a rule opens an e-mail case for her
    deliver(
        _customer_mail(address, "<order-1@example.org>", "Order 4411 missing", "My order is late.")
    )
    read_mailbox()
    with db.session() as s:
        case = s.scalar(sa.select(Case))
        assert case is not None
        case_id = case.id
        assert (case.channel, case.status) == ("email", "new")

    # 2. the agent answers; the sender hands it to the registered connector → SMTP
    with db.session() as s:
        queued = actions.reply(
            s,
            case_id=case_id,
            actor=agent,
            caps_of=caps_of,
            now=utcnow(),
            text="Sorry Maria, a replacement is on its way.",
        )
        reply_id = queued.id
        assert queued.status == "queued" and queued.recipient == CUSTOMER
    assert sender.run_once().sent == 1
    assert len(sink.messages) == 1
    mail_from, rcpts, raw = sink.messages[0]
    assert (mail_from, rcpts) == (address, [CUSTOMER])
    sent = message_from_bytes(raw, policy=policy.default)
    assert sent["In-Reply-To"] == "<order-1@example.org>"
    assert str(sent["References"]).split() == ["<order-1@example.org>"]
    assert sent["Subject"] == "Re: Order 4411 missing"
    assert "a replacement is on its way" in sent.get_content()
    our_id = str(sent["Message-ID"])
    with db.session() as s:
        row = s.get(OutboundReply, reply_id)
        assert row is not None
        assert (row.status, row.external_id) == ("sent", our_id)
        out = s.get(Interaction, row.interaction_id)
        assert out is not None and out.external_id == our_id  # answers thread onto it

    # 3. the agent resolves the case (its CSAT link goes out by e-mail too)
    with db.session() as s:
        resolved = actions.resolve(
            s,
            case_id=case_id,
            actor=agent,
            caps_of=caps_of,
            now=utcnow(),
            secret="s",
            public_url="http://localhost",
        )
        assert resolved.status == "resolved"
    assert sender.run_once().sent == 1
    assert len(sink.messages) == 2

    # 4. the customer answers our reply (no keyword: no rule matches); the case reopens
    deliver(
        _customer_mail(
            address,
            "<order-2@example.org>",
            "Re: Order 4411 missing",
            "It still has not arrived.\n\nOn Tue, Groundswell Support wrote:\n> Sorry Maria",
            parent=our_id,
        )
    )
    read_mailbox()
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
        case = s.get(Case, case_id)
        assert case is not None and case.status == "open"
        kinds = list(
            s.scalars(
                sa.select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )
        assert kinds[-1] == "reopened"
        answer = s.scalar(
            sa.select(Interaction).where(Interaction.external_id == "<order-2@example.org>")
        )
        first = s.scalar(
            sa.select(Interaction).where(Interaction.external_id == "<order-1@example.org>")
        )
        assert answer is not None and first is not None
        assert answer.conversation_id == first.conversation_id
        assert answer.text == "It still has not arrived."
    runner.stop()


def test_a_separate_engagement_process_registers_the_connected_mailbox(
    db: Database, settings: Settings, broker: Broker
) -> None:
    """``groundswell engagement run`` runs no connector runner, yet must send e-mail."""
    from groundswell.workers.engage_loop import EngageLoop

    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(
                kind="email",
                name="Support mailbox",
                settings={"address": "support@example.com", "smtp_host": "127.0.0.1"},
            ),
        )
    registry = ConnectorRegistry()
    loop = EngageLoop(settings, db, broker, registry=registry, register_channels=True)
    assert registry.keys() == ["email"]
    assert registry.capabilities("email").private
    with db.session() as s:
        service.set_enabled(s, settings=settings, key="email", enabled=False)
    assert loop.register_channels() == []
    assert registry.keys() == []
