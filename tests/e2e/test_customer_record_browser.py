"""Segments → leads → a profiling link and its public form, in a real browser.

An analyst saves a segment and opens its contacts; an agent moves a lead, makes a
profiling link on the contact page; the customer (logged out) opens it and gives an
email and consent. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, server

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.channels.models import Channel
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.leads import promote_leads
from groundswell.crm.models import Contact, ContactKey, Identity, Interaction
from groundswell.crm.note_models import ContactTag

pytestmark = pytest.mark.browser
XSS = "<img src=x onerror=alert(1)>"
AGENT = "sales.agent@example.com"

__all__ = ["server"]


def _world(db: Database) -> tuple[int, int]:
    with db.session() as s:
        create_user(s, data=UserCreate(email=AGENT, password=PASSWORD, role="agent"))
        ch = s.scalar(select(Channel).where(Channel.key == "twitter"))
        if ch is None:
            ch = Channel(key="twitter", name="Twitter")
            s.add(ch)
            s.flush()
        buyer = Contact(display_name=f"Dana Buyer {XSS}")
        other = Contact(display_name="Olaf Other")
        s.add_all([buyer, other])
        s.flush()
        ident = Identity(
            platform="twitter", external_id="dana-1", handle="@dana", contact_id=buyer.id
        )
        s.add(ident)
        s.flush()
        s.add(ContactTag(contact_id=buyer.id, tag="vip", created_by="test"))
        now = utcnow()
        s.add_all(
            [
                Interaction(
                    channel_id=ch.id,
                    external_id="dana-post",
                    direction="in",
                    identity_id=ident.id,
                    contact_id=buyer.id,
                    text=f"I want to buy 20 seats, what is the price? {XSS}",
                    created_at=now,
                    intent="purchase_intent",
                    sentiment_score=0.2,
                    sentiment_label="positive",
                ),
                Interaction(
                    channel_id=ch.id,
                    external_id="olaf-post",
                    direction="in",
                    contact_id=other.id,
                    text="hello",
                    created_at=now,
                ),
            ]
        )
        s.flush()
        promote_leads(s)
        return buyer.id, ident.id


def _login(page: object, base: str, email: str) -> None:
    page.goto(base + "/login")  # type: ignore[attr-defined]
    page.fill("input[name=email]", email)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def test_segments_leads_and_profiling_link(server: tuple[str, Database]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    buyer, identity = _world(db)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            # The analyst saves a segment and opens its contacts.
            _login(page, base, EMAIL)
            page.goto(base + "/segments")
            page.fill("input[name=name]", "VIP buyers")
            page.fill("input[name=tags]", "vip")
            page.check("input[name=stages][value=consideration]")
            page.click("button:has-text('Save segment')")
            expect(page.locator(".segments-list tbody tr")).to_have_count(1)
            expect(page.locator(".segments-list")).to_contain_text("stage consideration")
            page.screenshot(path=str(ARTIFACTS / "crm-segments.png"), full_page=True)
            page.click(".segments-list a:has-text('contacts')")
            expect(page.locator(".contacts-list tbody tr")).to_have_count(1)
            expect(page.locator(".contacts-list")).to_contain_text("Dana Buyer")
            expect(page.locator(".segment-note")).to_contain_text("VIP buyers")
            page.screenshot(path=str(ARTIFACTS / "crm-segment-contacts.png"), full_page=True)
            # The agent works the lead and makes a profiling link.
            context.clear_cookies()
            _login(page, base, AGENT)
            page.goto(base + "/leads")
            expect(page.locator(".leads-list tbody tr")).to_have_count(1)
            expect(page.locator(".leads-list")).to_contain_text(XSS)  # shown as text
            row = page.locator(".leads-list tbody tr").first
            row.locator("select[name=status]").select_option("contacted")
            row.locator("select[name=owner_id]").select_option(label=AGENT)
            row.locator("button:has-text('Save')").click()
            expect(page.locator(".lead-status")).to_have_text("contacted")
            expect(page.locator(".lead-owner")).to_have_text(AGENT)
            page.screenshot(path=str(ARTIFACTS / "crm-leads.png"), full_page=True)
            page.goto(base + f"/contacts/{buyer}")
            page.click("button:has-text('Profiling link')")
            text = page.locator("#profiling-text").input_value()
            page.screenshot(path=str(ARTIFACTS / "crm-profiling-link.png"), full_page=True)
            found = re.search(r"/p/\S+", text)
            assert found, text
            # The customer, not logged in, answers.
            customer = browser.new_context().new_page()
            customer.goto(base + found.group(0))
            expect(customer.locator("h1")).to_have_text("Help us help you")
            customer.fill("input[name=email]", "dana@example.com")
            customer.check("input[name=marketing]")
            customer.screenshot(path=str(ARTIFACTS / "crm-profiling-form.png"), full_page=True)
            customer.click("button:has-text('Send')")
            expect(customer.locator("h1")).to_have_text("Thank you!")
            customer.goto(base + found.group(0))  # the link is used once
            expect(customer.locator(".profiling-refused")).to_contain_text("already been used")
            customer.screenshot(path=str(ARTIFACTS / "crm-profiling-used.png"), full_page=True)
            customer.goto(base + "/p/not-a-real-token")
            expect(customer.locator(".profiling-refused")).to_contain_text("not valid")
            customer.screenshot(path=str(ARTIFACTS / "crm-profiling-bad.png"), full_page=True)
            page.goto(base + f"/contacts/{buyer}")
            expect(page.locator("code:has-text('profiling link: email:dana@example.com')"))
            page.screenshot(path=str(ARTIFACTS / "crm-profiling-linked.png"), full_page=True)
            assert dialogs == []
        finally:
            browser.close()
    with db.session() as s:
        key = s.scalar(select(ContactKey).where(ContactKey.contact_id == buyer))
        assert key is not None and key.value == "dana@example.com"
        assert identity
