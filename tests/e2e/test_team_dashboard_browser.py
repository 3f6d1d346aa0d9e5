"""The team lead's dashboard in a real browser: cases opened by the rules show up, an
answer given through the API appears in the figures without a reload (HTMX polling), the
fairness view lists the channel, the CSV link downloads, and an agent sees no Team link.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from test_engagement_browser import ANN, LEA, app_server, ingest, login, wait_for
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from groundswell.auth.models import User
from groundswell.auth.service import create_api_token
from groundswell.core.db import Database
from groundswell.engagement.models import Case

pytestmark = pytest.mark.browser
__all__ = ["app_server"]


def test_team_dashboard_updates_live(
    app_server: tuple[str, Database], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = app_server
    with db.session() as s:
        lea_id = s.scalar(select(User.id).where(User.email == LEA))
        assert lea_id is not None
        token = create_api_token(s, user_id=lea_id, name="e2e")
    ingest(base, token, "7001", "@united my bag is lost, awful service", author="carla")
    ingest(base, token, "7002", "@united the flight was cancelled, terrible", author="dan")

    def cases() -> list[Case]:
        with db.session() as s:
            return list(s.scalars(select(Case).order_by(Case.id)))

    wait_for(lambda: len(cases()) == 2, "two cases opened by the rule")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        lea = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        ann = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        try:
            login(lea, base, LEA)
            lea.click("nav >> text=Team")
            lea.wait_for_url(base + "/team")
            expect(lea.locator("[data-kpi=opened]")).to_have_text("2")
            expect(lea.locator("[data-kpi=backlog]")).to_have_text("2")
            expect(lea.locator("[data-kpi=frt]")).to_have_text("–")
            expect(lea.locator("#fairness")).to_contain_text("twitter")

            # An answer given elsewhere shows up in the figures without a reload.
            reply = httpx.post(
                f"{base}/api/v1/engagement/cases/{cases()[0].id}/replies",
                json={"text": "Sorry about this, we are on it."},
                headers={"Authorization": "Bearer " + token},
            )
            assert reply.status_code in (200, 201), reply.text
            expect(lea.locator("[data-kpi=frt]")).not_to_have_text("–", timeout=20_000)
            expect(lea.locator("[data-kpi=sla]")).to_have_text("100 %")
            lea.select_option("select[name=group_by]", "agent")
            lea.click("form.team-controls button[type=submit]")
            expect(lea.locator("#team-groups")).to_contain_text("Agent")
            lea.screenshot(path=str(ARTIFACTS / "team-dashboard.png"), full_page=True)

            with lea.expect_download() as download:
                lea.click("text=this report")
            saved = tmp_path / "report.csv"
            download.value.save_as(saved)
            lines = saved.read_text(encoding="utf-8-sig").splitlines()
            assert lines[0].startswith("group,key,label,opened")
            assert lines[-1].startswith("all,")

            lea.goto(base + "/inbox")
            expect(lea.locator("a.csv-link")).to_have_attribute(
                "href", "/api/v1/exports/cases.csv?status=active"
            )
            with lea.expect_download() as inbox_download:
                lea.click("a.csv-link")
            inbox_csv = tmp_path / "cases.csv"
            inbox_download.value.save_as(inbox_csv)
            listed = inbox_csv.read_text(encoding="utf-8-sig").splitlines()
            assert listed[0].startswith("id,subject,status") and len(listed) == 3
            lea.goto(base + "/contacts")
            expect(lea.locator("text=Download all as CSV")).to_be_visible()

            login(ann, base, ANN)
            expect(ann.locator("a.csv-link")).to_have_count(0)
            expect(ann.locator("nav[aria-label=Main]")).not_to_contain_text("Team")
            assert ann.goto(base + "/team").status == 403  # type: ignore[union-attr]
        except Exception:
            lea.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
