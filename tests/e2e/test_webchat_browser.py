"""The web chat in two real browser pages: a visitor on another site, an agent in the inbox.

The host page is served from its own origin (another port), embeds the widget with the
one ``<script … data-channel>`` tag, and is the channel's only allowed origin, so every
call the widget makes is a real cross-origin request through the channel's CORS. The
visitor gives her e-mail and writes (an ``<img onerror>`` among her words); a rule opens
a case; the agent, logged in in a second page, sees the message as text, answers (with
markup of her own), and the visitor's page shows the answer as text. No dialog ever
opens on either page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from test_engagement_browser import login, wait_for
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.db import Database
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Case
from groundswell.settings import Settings
from gs_e2e_server import free_port, run_app

pytestmark = pytest.mark.browser
ANN = "ann@groundswell.local"
HOSTILE = "<img src=x onerror=alert(1)> my bag is lost"
ANSWER = "Found it! <b>bold</b> it arrives tonight"


class HostSite:
    """A customer's site on its own origin: one page with the one tag."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.page = b""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(site.page)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def embed(self, app_base: str, key: str) -> None:
        self.page = (
            "<!doctype html><html><head><title>Shop</title></head><body>"
            "<h1>Bags &amp; more</h1>"
            f'<script src="{app_base}/widget/chat.js" data-channel="{key}" defer></script>'
            "</body></html>"
        ).encode()


@pytest.fixture
def site() -> Iterator[HostSite]:
    host = HostSite()
    host.thread.start()
    yield host
    host.server.shutdown()
    host.server.server_close()


def test_a_visitor_chats_and_an_agent_answers_from_the_inbox(
    tmp_path: Path, site: HostSite, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import ConsoleMessage, Dialog, expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    keys: dict[str, str] = {}

    def prepare(db: Database, settings: Settings) -> None:
        with db.session() as s:  # the admin connects the widget, as the channels page does
            out = service.create_account(
                s,
                settings=settings,
                data=AccountIn(
                    kind="webchat",
                    name="Shop chat",
                    settings={
                        "allowed_origins": [site.origin],
                        "greeting": "Hello from Acme <i>support</i>",
                        "poll_seconds": 2,
                    },
                ),
            )
            keys["public"] = str(out.config["public_key"])
            s.add(
                Rule(
                    name="chats",
                    position=0,
                    stop=False,
                    active=True,
                    conditions={"channels": ["webchat"]},
                    actions=[{"type": "open_case"}],
                )
            )

    with run_app(tmp_path, prepare=prepare) as (base, db):
        site.embed(base, keys["public"])
        ARTIFACTS.mkdir(exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            dialogs: list[str] = []
            visitor = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
            agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            errors: list[str] = []

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    errors.append(message.text)

            for page in (visitor, agent):
                page.on("dialog", on_dialog)
                page.on("pageerror", lambda error: errors.append(str(error)))
            visitor.on("console", on_console)
            try:
                visitor.goto(site.origin + "/")
                visitor.locator(".gs-chat-bubble").click()
                expect(visitor.locator(".gs-chat-greeting")).to_have_text(
                    "Hello from Acme <i>support</i>"
                )
                visitor.fill(".gs-chat input[name=email]", "Maria@Example.org")
                visitor.fill(".gs-chat input[name=name]", "Maria")
                visitor.check(".gs-chat input[name=consent]")
                visitor.locator(".gs-chat-start button").click()
                visitor.fill(".gs-chat textarea", HOSTILE)
                visitor.keyboard.press("Enter")
                mine = visitor.locator(".gs-chat-msg.gs-in")
                expect(mine).to_have_text([HOSTILE])
                expect(visitor.locator(".gs-chat-msg.gs-pending")).to_have_count(0)
                visitor.screenshot(path=str(ARTIFACTS / "webchat-visitor-wrote.png"))

                def case() -> Case | None:
                    with db.session() as s:
                        return s.scalar(select(Case).where(Case.channel == "webchat"))

                opened = wait_for(case, "the web chat case")
                login(agent, base, ANN)
                agent.goto(f"{base}/inbox/cases/{opened.id}")
                expect(agent.locator("#thread")).to_contain_text(HOSTILE)
                expect(agent.locator("body")).to_contain_text("maria@example.org")
                assert agent.locator("#thread img").count() == 0
                agent.locator("#reply-text").fill(ANSWER)
                agent.locator("#composer button[type=submit]").click()
                expect(agent.locator("#thread .rs-sent")).to_contain_text("sent", timeout=20000)
                agent.screenshot(path=str(ARTIFACTS / "webchat-agent-answered.png"), full_page=True)

                theirs = visitor.locator(".gs-chat-msg.gs-out")
                expect(theirs).to_have_text([ANSWER], timeout=20000)
                expect(mine).to_have_count(1)  # her own message is not shown twice
                assert visitor.locator(".gs-chat img, .gs-chat b").count() == 0
                visitor.wait_for_timeout(4500)  # two more polls: the answer stays single
                expect(theirs).to_have_count(1)
                visitor.screenshot(path=str(ARTIFACTS / "webchat-visitor-answered.png"))

                visitor.reload()  # the token in localStorage resumes the conversation
                visitor.locator(".gs-chat-bubble").click()
                expect(visitor.locator(".gs-chat-msg")).to_have_text([HOSTILE, ANSWER])
                assert dialogs == [] and errors == []
            except Exception:
                print("page errors:", errors)
                for name, page in (("visitor", visitor), ("agent", agent)):
                    page.screenshot(
                        path=str(ARTIFACTS / f"{request.node.name}-{name}.png"), full_page=True
                    )
                raise
            finally:
                browser.close()
