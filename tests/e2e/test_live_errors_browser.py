"""A live action (htmx) that fails says so in the page, as text, instead of doing nothing.

htmx swaps nothing on an error answer, so before ``app.js`` handled it a refused or
failed action looked like a click that did nothing. Screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, server

from groundswell.core.db import Database

pytestmark = pytest.mark.browser

__all__ = ["server"]


def test_a_failed_live_action_shows_its_error_as_text(server: tuple[str, Database]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(base + "/login")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("nav summary")).to_be_visible()
            page.goto(base + "/alerts")
            # A live request for an alert that does not exist: the server answers 404.
            page.evaluate(
                "htmx.ajax('GET', '/alerts/987654321?x=<img src=x onerror=alert(1)>',"
                " {target: 'main', swap: 'innerHTML'})"
            )
            error = page.locator("#live-error")
            expect(error).to_be_visible()
            expect(error).to_contain_text("That did not work (404")
            assert page.locator("#live-error img").count() == 0  # text, never markup
            expect(page.locator("main h1")).to_be_visible()  # the page was left as it was
            page.screenshot(path=str(ARTIFACTS / "live-error.png"))
        finally:
            browser.close()
