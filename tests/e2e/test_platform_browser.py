"""The admin's Webhooks and Audit log pages in a real browser: found in the navigation,
a subscription created (secret shown once), a dead delivery visible with its error, the
audit log filtered to it. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.core.db import Database
from groundswell.notify.models import Delivery, WebhookSubscription

pytestmark = pytest.mark.browser

__all__ = ["server"]

ADMIN, ADMIN_PASSWORD = "boss@example.com", "quartz-pelican-mosaic-8"


def test_admin_webhooks_and_audit_pages(server: tuple[str, Database]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    with db.session() as s:
        create_user(s, data=UserCreate(email=ADMIN, password=ADMIN_PASSWORD, role="admin"))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        try:
            page.goto(base + "/login")
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.click("nav summary")  # the admin menu
            page.click("nav >> text=Webhooks")
            expect(page).to_have_url(base + "/admin/webhooks")
            form = page.locator("#new-webhook form")
            form.locator("input[name=name]").fill("Data warehouse")
            form.locator("input[name=url]").fill("https://hooks.example.com/groundswell")
            form.locator("input[value='case.opened']").check()
            form.locator("input[value='case.replied']").check()
            form.locator("button[type=submit]").click()
            expect(page.locator("#webhook-created code.secret")).to_contain_text("whsec_")
            page.screenshot(path=str(ARTIFACTS / "webhooks-created.png"), full_page=True)
            with db.session() as s:
                sub = s.query(WebhookSubscription).one()
                s.add(
                    Delivery(
                        kind="event",
                        event="case.opened",
                        target=sub.url,
                        subscription_id=sub.id,
                        status="dead",
                        attempts=8,
                        last_error="attempt 8: receiver answered HTTP 503",
                        payload={},
                    )
                )
            page.goto(base + "/admin/webhooks")
            expect(page.locator("#webhook-created")).to_have_count(0)
            expect(page.locator("#deliveries")).to_contain_text("receiver answered HTTP 503")
            expect(page.locator("#deliveries .badge-dead")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "webhooks-page.png"), full_page=True)

            page.click("nav summary")  # the admin menu
            page.click("nav >> text=Audit log")
            expect(page).to_have_url(base + "/admin/audit")
            page.select_option("select[name=action]", "webhook.create")
            page.click("#audit-filter button[type=submit]")
            expect(page.locator("#audit tbody tr")).to_have_count(1)
            expect(page.locator("#audit")).to_contain_text(ADMIN)
            page.screenshot(path=str(ARTIFACTS / "audit-page.png"), full_page=True)
            assert console_errors == []
        finally:
            browser.close()
