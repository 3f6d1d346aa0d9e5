"""An e-mail conversation answered from the browser, through real mail servers.

The customer's message is delivered into Dovecot; the running app's connector reads it,
a rule opens a case; the agent opens it from the inbox and answers in the composer; the
reply leaves through aiosmtpd threaded to the customer's message and shows "sent"; the
agent resolves; the customer's answer to our Message-ID is delivered into Dovecot and the
case page shows the case open again with her answer in the thread. Before the answer, the
first-response due time is moved into the past and the inbox shows the SLA breach.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import select
from test_engagement_browser import login, wait_for
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Case, Queue
from groundswell.settings import Settings
from gs_e2e_server import run_app
from mail_servers import Dovecot, SmtpSink, dovecot_available, free_port

pytestmark = pytest.mark.browser
CUSTOMER = "maria@example.org"
ANN = "ann@groundswell.local"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    why = dovecot_available()
    if why:
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="gs-dovecot-"))  # Dovecot's auth user must read it
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


def _mail(to: str, message_id: str, subject: str, text: str, *, parent: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = f"Maria Lopez <{CUSTOMER}>", to
    msg["Subject"], msg["Message-ID"] = subject, message_id
    msg["Date"] = format_datetime(utcnow())
    if parent:
        msg["In-Reply-To"], msg["References"] = parent, f"<order-1@example.org> {parent}"
    msg.set_content(text)
    return msg.as_bytes()


def test_an_email_case_answered_in_the_browser(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: tuple[int, SmtpSink],
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    address, password = dovecot.add_user()
    smtp_port, sink = smtp_server

    def prepare(db: Database, settings: Settings) -> None:
        with db.session() as s:  # the admin connects the mailbox, as the channels page does
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
                        "smtp_port": smtp_port,
                        "smtp_starttls": False,
                        "smtp_login": False,
                        "display_name": "Groundswell Support",
                        "poll_seconds": 1,
                    },
                ),
            )
            s.add(
                Rule(
                    name="orders by e-mail",
                    position=0,
                    stop=False,
                    active=True,
                    conditions={"keywords": ["order"], "channels": ["email"]},
                    actions=[
                        {"type": "open_case"},
                        {"type": "assign_queue", "queue_id": s.scalar(select(Queue.id))},
                    ],
                )
            )

    def deliver(raw: bytes) -> None:  # what the MTA's delivery agent does
        with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
            client.login(address, password)
            client.append("INBOX", raw)

    with run_app(tmp_path, prepare=prepare) as (base, db):

        def case() -> Case | None:
            with db.session() as s:
                return s.scalar(select(Case).where(Case.channel == "email"))

        deliver(_mail(address, "<order-1@example.org>", "Order 4411 missing", "My order is late."))
        opened = wait_for(case, "the e-mail case")
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            ann = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            try:
                login(ann, base, ANN)
                row = ann.locator(".case-row", has_text="My order is late.")
                expect(row).to_be_visible(timeout=15000)

                # Nobody answered in time (the clock is moved on): the SLA check raises a
                # breach, which the inbox shows as a notification.
                with db.session() as s:
                    late = s.get(Case, opened.id)
                    assert late is not None
                    late.first_response_due = late.next_due_at = utcnow() - timedelta(minutes=1)
                notice = ann.locator(".sla-notices", has_text=f"SLA breached: case #{opened.id}")
                for _ in range(60):
                    ann.reload()
                    if notice.count():
                        break
                    ann.wait_for_timeout(1000)
                expect(notice).to_be_visible()
                ann.screenshot(path=str(ARTIFACTS / "email-sla-breached.png"), full_page=True)
                row.locator("a").first.click()
                ann.wait_for_url(f"{base}/inbox/cases/{opened.id}")
                expect(ann.locator("#thread")).to_contain_text("My order is late.")

                ann.locator("#reply-text").fill("Sorry Maria, a replacement is on its way.")
                ann.locator("#composer button[type=submit]").click()
                expect(ann.locator("#thread .rs-sent")).to_contain_text("sent", timeout=20000)
                ann.screenshot(path=str(ARTIFACTS / "email-reply-sent.png"), full_page=True)
                wait_for(lambda: sink.messages, "the reply at the SMTP server")
                _from, rcpts, raw = sink.messages[0]
                sent = message_from_bytes(raw, policy=policy.default)
                assert rcpts == [CUSTOMER]
                assert sent["In-Reply-To"] == "<order-1@example.org>"
                assert sent["Subject"] == "Re: Order 4411 missing"
                assert "a replacement is on its way" in sent.get_content()

                ann.locator("body").click()
                ann.keyboard.press("e")
                expect(ann.locator("#case-status")).to_have_text("resolved")

                deliver(
                    _mail(
                        address,
                        "<order-2@example.org>",
                        "Re: Order 4411 missing",
                        "It still has not arrived.\n\nOn Tue, Groundswell Support wrote:\n> Sorry",
                        parent=str(sent["Message-ID"]),
                    )
                )

                def reopened() -> bool:
                    found = case()
                    return found is not None and found.status == "open"

                wait_for(reopened, "the customer's answer to reopen the case")
                ann.reload()
                expect(ann.locator("#case-status")).to_have_text("open")
                expect(ann.locator("#thread")).to_contain_text("It still has not arrived.")
                ann.screenshot(path=str(ARTIFACTS / "email-reopened.png"), full_page=True)
                with db.session() as s:
                    count = len(list(s.scalars(select(Case.id))))
                assert count == 1  # the answer joined the case, no second one
            except Exception:
                ann.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
                raise
            finally:
                browser.close()
