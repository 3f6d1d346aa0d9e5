"""An agent's day in a real browser: a negative tweet arrives, a rule opens and assigns
its case, the inbox shows it first, a canned reply goes out and shows "sent", a colleague
sees the agent typing, an influencer reply waits for a lead's approval, and resolving
sends a CSAT link answered on its public page. Then the inbox on a 390-px phone.

Runs the real app under uvicorn (embedded worker, rules stage, reply sender) on a SQLite
file with the in-process stand-in network for X, driven by Debian's chromium.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from groundswell.auth.models import User
from groundswell.auth.service import create_api_token
from groundswell.core.db import Database
from groundswell.engagement.models import Case
from groundswell.engagement.reply_models import OutboundReply
from gs_e2e_server import PASSWORD, run_app

pytestmark = pytest.mark.browser
ANN, BOB, LEA = "ann@groundswell.local", "bob@groundswell.local", "lea@groundswell.local"


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    with run_app(tmp_path) as running:
        yield running


def ingest(
    base: str,
    token: str,
    ext: str,
    text: str,
    *,
    author: str,
    followers: int = 10,
    verified: bool = False,
) -> None:
    post = {
        "channel": "twitter",
        "external_id": ext,
        "text": text,
        "created_at": datetime.now(UTC).isoformat(),
        "author": {
            "external_id": author,
            "handle": author,
            "display_name": author.title(),
            "followers": followers,
            "verified": verified,
        },
    }
    r = httpx.post(
        base + "/api/v1/ingest", json=post, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert r.status_code == 202, r.text


def wait_for(predicate, what: str, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def login(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login?next=%2Finbox")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/inbox")


def test_an_agents_day(app_server: tuple[str, Database], request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = app_server
    with db.session() as s:
        lea_id = s.scalar(select(User.id).where(User.email == LEA))
        assert lea_id is not None
        token = create_api_token(s, user_id=lea_id, name="e2e")
    ingest(base, token, "9001", "@united the coffee on board was bad", author="mild")
    ingest(
        base,
        token,
        "9002",
        "@united my flight was cancelled and my bag is lost. Awful, terrible service "
        "<script>alert(1)</script>",
        author="carla",
    )

    def cases() -> list[Case]:
        with db.session() as s:
            return list(s.scalars(select(Case).order_by(Case.id)))

    wait_for(lambda: len(cases()) == 2, "two cases opened by the rule")
    urgent = next(c for c in cases() if "cancelled" in c.subject)
    assert urgent.assignee_id is not None and urgent.priority_label == "urgent"
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        ann = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        bob = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        lea = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        dialogs: list[str] = []
        for page in (ann, bob, lea):
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            login(ann, base, ANN)
            rows = ann.locator(".case-row")
            expect(rows).to_have_count(2)
            expect(rows.first).to_contain_text("cancelled")
            expect(rows.first).to_contain_text("urgent")
            ann.screenshot(path=str(ARTIFACTS / "engagement-inbox.png"), full_page=True)

            # Keyboard: j selects the first case, o opens it.
            ann.keyboard.press("j")
            ann.keyboard.press("o")
            ann.wait_for_url(f"{base}/inbox/cases/{urgent.id}")
            expect(ann.locator(".customer")).to_contain_text("Carla")
            expect(ann.locator(".channel-rules")).to_contain_text("280")
            expect(ann.locator(".channel-rules")).to_contain_text("stand-in")
            expect(ann.locator("#thread")).to_contain_text("<script>alert(1)</script>")

            # A colleague opens the same case and sees Ann typing.
            login(bob, base, BOB)
            bob.goto(f"{base}/inbox/cases/{urgent.id}")
            ann.locator("#reply-text").click()
            ann.keyboard.type("Hi Carla")
            expect(bob.locator("#presence")).to_contain_text("Ann Agent is typing", timeout=15000)
            bob.screenshot(path=str(ARTIFACTS / "engagement-colleague-typing.png"), full_page=True)

            # Canned reply, searched with "/": it goes to the stand-in and shows sent.
            ann.locator("#reply-text").fill("")
            ann.locator("body").click()
            ann.keyboard.press("/")
            ann.keyboard.type("sorry")
            ann.locator("#composer button[type=submit]").click()
            ann.wait_for_url(f"{base}/inbox/cases/{urgent.id}")
            expect(ann.locator("#thread .rs-sent")).to_contain_text("sent", timeout=15000)
            expect(ann.locator("#thread")).to_contain_text("I'm sorry about this. I'm Ann Agent")
            ann.screenshot(path=str(ARTIFACTS / "engagement-reply-sent.png"), full_page=True)

            # An influencer's complaint: the reply waits for a lead.
            ingest(
                base,
                token,
                "9003",
                "@united lost my bag again, awful",
                author="star",
                followers=5_000_000,
                verified=True,
            )
            star = wait_for(
                lambda: next((c for c in cases() if "again" in c.subject), None),
                "the influencer's case",
            )
            ann.goto(f"{base}/inbox/cases/{star.id}")
            ann.locator("#reply-text").fill("So sorry, we are tracing your bag now.")
            ann.locator("#composer button[type=submit]").click()
            expect(ann.locator("#thread .rs-awaiting_approval")).to_be_visible()
            expect(ann.locator("#thread")).to_contain_text("influential author")
            ann.screenshot(path=str(ARTIFACTS / "engagement-awaiting-approval.png"), full_page=True)
            login(lea, base, LEA)
            lea.goto(base + "/inbox/approvals")
            lea.screenshot(path=str(ARTIFACTS / "engagement-approvals.png"), full_page=True)
            lea.locator("button[value=approve]").first.click()
            expect(lea.locator(".notice")).to_contain_text("approved")
            expect(ann.locator("#thread .rs-sent")).to_be_visible(timeout=15000)

            # Resolve with "e": a CSAT link goes out through the channel.
            ann.goto(f"{base}/inbox/cases/{urgent.id}")
            ann.locator("body").click()
            ann.keyboard.press("e")
            expect(ann.locator("#case-status")).to_have_text("resolved")

            def csat_link() -> str | None:
                with db.session() as s:
                    row = s.scalar(
                        select(OutboundReply).where(
                            OutboundReply.kind == "csat", OutboundReply.status == "sent"
                        )
                    )
                    return row.text.split(": ", 1)[1] if row else None

            link = wait_for(csat_link, "the CSAT link to be sent")
            customer = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            customer.goto(link)
            customer.locator("input[name=score][value='5']").check()
            customer.fill("textarea[name=comment]", "Quick and kind <b>thanks</b>")
            customer.screenshot(path=str(ARTIFACTS / "engagement-csat.png"), full_page=True)
            customer.locator("button[type=submit]").click()
            expect(customer.locator("h1")).to_have_text("Thank you!")
            customer.goto(link)
            expect(customer.locator("h1")).to_have_text("Thank you!")

            # The inbox on a phone: nav and list usable, no sideways scrolling.
            phone = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True
            ).new_page()
            login(phone, base, ANN)
            expect(phone.locator(".topbar nav a[href='/inbox']")).to_be_visible()
            expect(phone.locator(".case-row").first).to_be_visible()
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 392, width
            phone.screenshot(path=str(ARTIFACTS / "engagement-inbox-phone.png"), full_page=True)
            phone.goto(f"{base}/inbox/cases/{star.id}")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 392, width
            phone.screenshot(path=str(ARTIFACTS / "engagement-case-phone.png"), full_page=True)
            assert dialogs == []
        except Exception:
            for label, page in (("ann", ann), ("bob", bob), ("lea", lea)):
                page.screenshot(path=str(ARTIFACTS / f"{name}-{label}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
