"""Duplicates, merge, merge log and unmerge in a real browser; the contact's value card.

Runs the app under uvicorn on a SQLite file (the stream test's fixture), driven by Debian's
chromium through Playwright. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from datetime import date

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, server

from groundswell.core.db import Database
from groundswell.crm.clv.schemas import TransactionIn
from groundswell.crm.clv.service import add_customer_key, import_transactions, refit
from groundswell.crm.matching.service import match_pending
from groundswell.crm.models import Contact, Identity

pytestmark = pytest.mark.browser
XSS = "<img src=x onerror=alert(1)>"

__all__ = ["server"]


def _world(db: Database) -> int:
    with db.session() as s:
        a = Contact(display_name=f"Jane Doe {XSS}")
        b = Contact(display_name=f"Jane Doe {XSS}")
        s.add_all([a, b])
        s.flush()
        s.add_all(
            [
                Identity(platform="twitter", external_id="1", handle="janedoe", contact_id=a.id),
                Identity(
                    platform="mastodon", external_id="2", handle="jane@m.example", contact_id=b.id
                ),
            ]
        )
        buyers = [Contact(display_name=f"Buyer {i}") for i in range(30)]
        s.add_all(buyers)
        s.flush()
        items = []
        for i, c in enumerate([a, *buyers]):
            add_customer_key(s, contact_id=c.id, key=f"K{i}", source="test")
            for k in range(1 + i % 4):
                day = date(2024, 1 + k * 2, 1 + i % 20)
                items.append(
                    (f"r{i}-{k}", TransactionIn(customer_key=f"K{i}", date=day, amount=10.0 + i))
                )
        import_transactions(s, source="test", items=items)
        refit(s, horizon_weeks=52, annual_discount_rate=0.1, triggered_by="test")
        match_pending(s, auto_threshold=0.99, review_threshold=0.5)
        return a.id


def test_review_merge_unmerge_in_browser(server: tuple[str, Database]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    jane = _world(db)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(base + "/matches")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator(".match")).to_have_count(1)
            expect(page.locator(".evidence")).to_contain_text("handle / email")
            page.screenshot(path=str(ARTIFACTS / "identity-review.png"), full_page=True)
            page.click("button:has-text('Same person: merge')")
            expect(page.locator(".empty")).to_contain_text("Nothing to review")
            page.goto(base + "/matches/log")
            expect(page.locator(".merge-log tbody tr")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "identity-merge-log.png"), full_page=True)
            page.click("button:has-text('Unmerge')")
            expect(page.locator(".merge-log")).to_contain_text("undone")
            page.goto(base + f"/contacts/{jane}")
            expect(page.locator(".value-card")).to_contain_text("Lifetime value")
            expect(page.locator(".p-alive")).to_contain_text("%")
            page.screenshot(path=str(ARTIFACTS / "contact-value.png"), full_page=True)
            assert dialogs == []
        finally:
            browser.close()
