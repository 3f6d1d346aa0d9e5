"""The Channels page in a real browser: an admin connects X (the local stand-in), the
app's own connector runner reads a customer's mention, and the page shows it live."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.channels.x.standin import StandInServer, StandInState
from groundswell.core.db import Database

pytestmark = pytest.mark.browser
ADMIN, ADMIN_PASSWORD = "admin@example.com", "an admin's long password"
TOKEN = "browser-test-token-4242"

__all__ = ["server"]


@pytest.fixture
def standin() -> Iterator[StandInServer]:
    s = StandInServer(StandInState(token=TOKEN)).start()
    yield s
    s.stop()


def test_connect_x_and_watch_it_read(
    server: tuple[str, Database], standin: StandInServer, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    with db.session() as s:
        create_user(s, data=UserCreate(email=ADMIN, password=ADMIN_PASSWORD, role="admin"))
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name
    settings = {
        "user_id": standin.state.account_id,
        "username": standin.state.account_username,
        "base_url": standin.base_url,
        "mentions_poll_seconds": 1,
        "standin": True,
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(base + "/login?next=%2Fchannels")
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base + "/channels")
            expect(page.locator("nav a[href='/channels']")).to_have_class("active")

            page.click("summary:has-text('X (Twitter API v2)')")
            form = page.locator("form:has(input[name=kind][value=x])")
            form.locator("input[name=name]").fill("Support on X")
            form.locator("textarea[name=settings_json]").fill(json.dumps(settings))
            form.locator("input[name=secret_x_access_token]").fill(TOKEN)
            form.locator("button[type=submit]").click()
            expect(page).to_have_url(base + "/channels")
            row = page.locator("#channel-twitter")
            expect(row).to_contain_text("local stand-in")
            expect(row).to_contain_text("secrets set: access_token")
            assert TOKEN not in page.content()

            standin.state.mention("501", "ana", "@groundswell_co my refund never arrived")
            # the embedded runner picks the channel up and reads; the table refreshes itself
            expect(row).to_contain_text("mentions (mentions): 1 post", timeout=30_000)
            expect(row.locator(".badge.status-ok")).to_be_visible()

            row.locator("button:has-text('Test')").click()
            expect(page.locator("#test-result")).to_contain_text("authenticated as @groundswell_co")
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        finally:
            browser.close()


def test_refused_credentials_are_flagged_and_replaced(
    server: tuple[str, Database], standin: StandInServer, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    with db.session() as s:
        create_user(s, data=UserCreate(email=ADMIN, password=ADMIN_PASSWORD, role="admin"))
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name
    settings = {
        "user_id": standin.state.account_id,
        "base_url": standin.base_url,
        "mentions": False,
        "standin": True,
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(base + "/login?next=%2Fchannels")
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.click("summary:has-text('Bluesky')")
            bluesky = page.locator("form:has(input[name=kind][value=bluesky])")
            expect(bluesky.locator("textarea")).to_have_value(
                json.dumps(
                    {
                        "base_url": "https://bsky.social",
                        "identifier": "yourbrand.bsky.social",
                        "keywords": ["your brand"],
                        "jetstream_url": "wss://jetstream2.us-east.bsky.network/subscribe",
                    },
                    indent=2,
                )
            )
            page.click("summary:has-text('X (Twitter API v2)')")
            form = page.locator("form:has(input[name=kind][value=x])")
            form.locator("input[name=name]").fill("Support on X")
            form.locator("textarea[name=settings_json]").fill(json.dumps(settings))
            form.locator("input[name=secret_x_access_token]").fill(TOKEN)
            form.locator("button[type=submit]").click()
            expect(page).to_have_url(base + "/channels")

            standin.state.token = "rotated-on-the-network"
            page.locator("#channel-twitter button:has-text('Test')").click()
            expect(page.locator("#reauth-twitter")).to_contain_text(
                "Support on X needs re-authentication"
            )
            credentials = page.locator("#credentials-twitter")
            expect(credentials).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / f"{name}-flagged.png"), full_page=True)

            credentials.locator("input[name=secret_access_token]").fill("rotated-on-the-network")
            credentials.locator("button[type=submit]").click()
            expect(page).to_have_url(base + "/channels")
            expect(page.locator("#reauth-twitter")).to_have_count(0)
            page.locator("#channel-twitter button:has-text('Test')").click()
            expect(page.locator("#test-result")).to_contain_text("connected")
            page.screenshot(path=str(ARTIFACTS / f"{name}-fixed.png"), full_page=True)
        finally:
            browser.close()
