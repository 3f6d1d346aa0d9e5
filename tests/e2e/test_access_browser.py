"""The "Users & tokens" page in a real browser: an admin finds it in the nav, creates a
scoped token (shown once), revokes it, deactivates a user and sees the audit log.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import httpx
import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.core.db import Database

pytestmark = pytest.mark.browser

__all__ = ["server"]

ADMIN, ADMIN_PASSWORD = "boss@example.com", "quartz-pelican-mosaic-8"


def test_admin_manages_tokens_and_users(server: tuple[str, Database]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    with db.session() as s:
        create_user(
            s, data=UserCreate(email=ADMIN, password=ADMIN_PASSWORD, role="admin", name="Boss")
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        try:
            page.goto(base + "/login")
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.click("nav summary")  # the admin menu
            page.click("nav >> text=Users & tokens")
            expect(page).to_have_url(base + "/admin/access")
            expect(page.locator("#users")).to_contain_text("agent@example.com")

            form = page.locator("#new-token form")
            form.locator("input[name=name]").fill("zapier ingest")
            form.locator("select[name=user_id]").select_option(label="agent@example.com (analyst)")
            form.locator("input[name=scopes][value=ingest]").check()
            form.locator("button[type=submit]").click()
            secret = page.locator("#token-created code.secret")
            expect(secret).to_contain_text("gsk_")
            token = secret.inner_text().strip()
            page.screenshot(path=str(ARTIFACTS / "access-token-created.png"), full_page=True)
            auth = {"Authorization": f"Bearer {token}"}
            assert httpx.get(base + "/api/v1/interactions", headers=auth).status_code == 200

            row = page.locator("#tokens tr", has_text="zapier ingest")
            row.locator("button", has_text="Revoke").click()
            expect(page.locator(".notice")).to_contain_text("Revoked token")
            expect(page.locator("#tokens tr", has_text="zapier ingest")).to_contain_text("revoked")
            assert httpx.get(base + "/api/v1/interactions", headers=auth).status_code == 401

            agent_row = page.locator("#users tr", has_text="agent@example.com")
            agent_row.locator("button", has_text="Deactivate").click()
            expect(page.locator(".notice")).to_contain_text("Deactivated agent@example.com")
            expect(page.locator("#audit")).to_contain_text("user.deactivate")
            expect(page.locator("#audit")).to_contain_text("token.revoke")
            page.screenshot(path=str(ARTIFACTS / "access-page.png"), full_page=True)

            page.click("header >> text=Account")
            expect(page).to_have_url(base + "/account")
            expect(page.locator("#sessions tbody tr")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "account-page.png"), full_page=True)
            assert [u for u in missing if not u.endswith("/favicon.ico")] == []
            assert [e for e in console_errors if "404" not in e] == []
        finally:
            browser.close()
