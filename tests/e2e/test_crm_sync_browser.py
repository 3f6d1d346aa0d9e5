"""The CRM sync page in a real browser: an admin connects both CRM stand-ins, syncs, sees
a conflict made on both sides and resolves it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

from crm_sync_world import make_customer
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Contact
from groundswell.demo.crm_standins import HubSpotStandin, SalesforceStandin

pytestmark = pytest.mark.browser
ADMIN, ADMIN_PASSWORD = "admin@example.com", "an admin's long password"

__all__ = ["server"]


@pytest.fixture
def local_server(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> tuple[str, Database]:
    """The app, allowed to reach the stand-ins on loopback (as an admin would allow)."""
    monkeypatch.setenv("GROUNDSWELL_OUTBOUND_ALLOW_HOSTS", "127.0.0.1")
    found: tuple[str, Database] = request.getfixturevalue("server")
    return found


@pytest.fixture
def crms() -> Iterator[tuple[SalesforceStandin, HubSpotStandin]]:
    sf, hs = SalesforceStandin(), HubSpotStandin()
    sf.start()
    hs.start()
    yield sf, hs
    sf.stop()
    hs.stop()


def test_connect_sync_and_resolve_a_conflict(
    local_server: tuple[str, Database],
    crms: tuple[SalesforceStandin, HubSpotStandin],
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = local_server
    sf, hs = crms
    with db.session() as s:
        create_user(s, data=UserCreate(email=ADMIN, password=ADMIN_PASSWORD, role="admin"))
    world = make_customer(db)
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        try:
            page.goto(base + "/login?next=%2Fchannels")
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base + "/channels")
            page.click("#crm-sync-link a")
            expect(page).to_have_url(base + "/admin/crm-sync")
            expect(page.locator("nav a[href='/admin/crm-sync']")).to_have_class("active")

            form = page.locator("#connect form")
            form.locator("select[name=system]").select_option("hubspot")
            form.locator("input[name=name]").fill("HubSpot")
            form.locator("input[name=base_url]").fill(hs.url)
            form.locator("button[type=submit]").click()
            expect(page.locator("#connect-error")).to_contain_text("access_token")

            form = page.locator("#connect form")
            form.locator("select[name=system]").select_option("salesforce")
            form.locator("input[name=name]").fill("Salesforce")
            form.locator("input[name=base_url]").fill(sf.url)
            form.locator("input[name=client_id]").fill(sf.client_id)
            form.locator("input[name=client_secret]").fill(sf.client_secret)
            form.locator("button[type=submit]").click()
            row = page.locator("#crm-connections tr", has_text="Salesforce")
            expect(row).to_contain_text("secrets set: client_secret")
            assert sf.client_secret not in page.content()

            row.locator("button:has-text('Sync now')").click()
            expect(page.locator("#sync-result")).to_contain_text("Salesforce")
            row = page.locator("#crm-connections tr", has_text="Salesforce")
            expect(row).to_contain_text("1 contacts · 1 cases · 2 activities")

            remote = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
            assert remote is not None
            sf.edit("Contact", remote["Id"], Phone="+351 222 000 111")
            with db.session() as s:
                contact = s.get(Contact, world.contact_id)
                assert contact is not None
                contact.phone, contact.updated_at = "+351 999 000 111", utcnow()
            row.locator("button:has-text('Sync now')").click()
            conflict = page.locator("#crm-conflicts tbody tr")
            expect(conflict).to_have_count(1)
            expect(conflict).to_contain_text("+351 999 000 111")
            expect(conflict).to_contain_text("+351 222 000 111")
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

            conflict.locator('button:has-text("Keep Groundswell\'s")').click()
            expect(page.locator("#conflicts")).to_contain_text("No open conflicts")
            row = page.locator("#crm-connections tr", has_text="Salesforce")
            row.locator("button:has-text('Sync now')").click()
            expect(page.locator("#sync-result")).to_contain_text("ok")
            after = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
            assert after is not None and after["Phone"] == "+351 999 000 111"
        finally:
            browser.close()
