"""The Alerts page in a real browser: live arrival, badge, acknowledge, rules, deliveries.

Runs the real app under uvicorn (embedded worker and listening loop included) on a
SQLite file, driven by Debian's chromium through Playwright. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, server

from groundswell.core.db import Database
from groundswell.listening.alerts.models import Alert, AlertDelivery, AlertRule
from groundswell.listening.alerts.schemas import METRIC_LABELS
from groundswell.listening.models import Subject

pytestmark = pytest.mark.browser
XSS = "<img src=x onerror=alert(1)>"


__all__ = ["server"]  # the stream test's app-under-uvicorn fixture, reused


def _alert(db: Database, subject_id: int, *, metric: str, severity: int, observed: float) -> int:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with db.session() as s:
        row = Alert(
            subject_id=subject_id,
            metric=metric,
            status="open",
            severity=severity,
            started_at=now - timedelta(minutes=2),
            last_anomaly_at=now,
            expected=4.0,
            observed=observed,
            summary=f"{METRIC_LABELS[metric]} about Delta {XSS}: {observed:.0f} in the minute at "
            f"{now:%H:%M} UTC vs 4 expected (severity {severity})",
            created_at=now,
            updated_at=datetime.now(UTC),
        )
        s.add(row)
        s.flush()
        return row.id


def test_alerts_page_live(server: tuple[str, Database], request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    with db.session() as s:
        delta = Subject(name=f"Delta {XSS}", kind="brand", query="delta")
        s.add(delta)
        s.add(
            AlertRule(
                name="Care team",
                subject_ids=None,
                metrics=["negative", "volume"],
                min_severity=5,
                targets=[
                    {"kind": "email", "to": "care@example.com"},
                    {"kind": "in_app", "to": ""},
                ],
            )
        )
        s.flush()
        delta_id = delta.id
    first = _alert(db, delta_id, metric="negative", severity=8, observed=42)
    with db.session() as s:
        s.add(
            AlertDelivery(
                alert_id=first,
                event="opened",
                kind="webhook",
                target="https://hooks.example.com/secret-token",
                status="dead",
                attempts=8,
                last_error="attempt 8: receiver answered HTTP 500",
                payload={},
            )
        )
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            page.goto(base + "/alerts")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base + "/alerts")
            rows = page.locator("#alerts-list tr.alert-row")
            expect(rows).to_have_count(1)
            expect(page.locator("#alerts-badge")).to_have_text("1")
            expect(rows.first.locator(".drill")).to_contain_text(f"Delta {XSS}")
            assert page.locator("#alerts-list img").count() == 0

            page.evaluate("document.body.dataset.loadedOnce = 'yes'")
            _alert(db, delta_id, metric="volume", severity=6, observed=95)
            expect(rows).to_have_count(2, timeout=10_000)
            # The tab's count follows the live list.
            expect(page.locator("#alerts-count-active")).to_have_text("2")
            expect(page.locator("#alerts-badge")).to_have_text("2", timeout=15_000)
            assert page.evaluate("document.body.dataset.loadedOnce") == "yes"
            page.screenshot(path=str(ARTIFACTS / "alerts-live.png"), full_page=True)
            # Severity first by default (8 before the newer 6); "Most recent" flips them.
            expect(rows.first).to_have_attribute("id", f"alert-{first}")
            page.locator("a[data-sort=recent]").click()
            expect(page).to_have_url(base + "/alerts?view=active&sort=recent")
            expect(rows.first).not_to_have_attribute("id", f"alert-{first}")
            page.screenshot(path=str(ARTIFACTS / "alerts-by-recency.png"), full_page=True)
            page.locator("a[data-sort=severity]").click()

            page.locator(f"#alert-{first} .ack-button").click()
            expect(page.locator(f"#alert-{first}")).to_contain_text("acknowledged by")
            page.screenshot(path=str(ARTIFACTS / "alerts-acknowledged.png"), full_page=True)

            page.goto(base + "/alerts/rules")
            page.fill("#rule-form input[name=name]", "Broken")
            page.fill("#rule-form textarea[name=targets]", "email care@example.com\nslack nope")
            page.click("#rule-form button[type=submit]")
            expect(page.locator(".field-error")).to_contain_text("targets line 2")
            page.screenshot(path=str(ARTIFACTS / "alerts-rules.png"), full_page=True)

            page.goto(base + "/alerts/deliveries?status=dead")
            # Only admins read why a delivery failed (it could tell whether a port is open).
            expect(page.locator("#deliveries")).to_contain_text("delivery failed")
            expect(page.locator("#deliveries")).not_to_contain_text("HTTP 500")
            expect(page.locator("#deliveries")).not_to_contain_text("secret-token")
            page.screenshot(path=str(ARTIFACTS / "alerts-deliveries.png"), full_page=True)

            page.goto(base + "/alerts")
            page.locator(f"#alert-{first} a.drill").click()
            expect(page).to_have_url(base + f"/drilldown?alert_id={first}")
            assert dialogs == []
        except Exception:
            page.screenshot(
                path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True
            )
            raise
        finally:
            browser.close()
