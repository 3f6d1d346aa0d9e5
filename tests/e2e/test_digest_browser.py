"""The digest page in a real browser: the one-page sheet, charts drawn, posts escaped, no
CSP errors, subscriptions managed from the page; a screenshot to look at."""

from __future__ import annotations

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, server

from digest_world import DAY, XSS, build
from groundswell.core.db import Database

pytestmark = pytest.mark.browser
__all__ = ["server"]


def test_digest_page(server: tuple[str, Database], request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    ids = build(db)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            page.goto(f"{base}/digest")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("nav a[href='/digest']")).to_have_class("active")
            page.select_option("select[name=subject_id]", str(ids["brand"]))
            page.fill("input[name=date]", DAY.isoformat())
            page.fill("input[name=tz]", "Europe/Paris")
            page.click(".digest-form button[type=submit]")
            expect(page.locator(".dg-brand")).to_have_text("Acme Air")
            expect(page.locator(".dg-actions li")).not_to_have_count(0)
            for chart in (".chart-volume", ".chart-voice"):
                # Wait for the image to finish loading: a width read earlier is 0.
                page.wait_for_function(
                    "sel => { const img = document.querySelector(sel);"
                    " return img !== null && img.complete; }",
                    arg=chart,
                )
                width = page.eval_on_selector(chart, "img => img.naturalWidth")
                assert width > 100
            assert XSS not in page.content()
            page.screenshot(path=str(ARTIFACTS / "digest-page.png"), full_page=True)
            page.click("a[href='/digest/subscriptions']")
            # The digest page has an e-mail field too: fill only once the new page is in.
            expect(page).to_have_url(f"{base}/digest/subscriptions")
            page.fill("input[name=email]", "board@example.com")
            page.fill("input[name=timezone]", "Asia/Tokyo")
            page.click("form.digest-form button[type=submit]")
            expect(page.locator("#digest-subscriptions")).to_contain_text("board@example.com")
            expect(page.locator("#digest-subscriptions")).to_contain_text("Asia/Tokyo")
            assert dialogs == []
            assert not [e for e in errors if "Content Security Policy" in e], errors
        except Exception:
            page.screenshot(
                path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True
            )
            raise
        finally:
            browser.close()
