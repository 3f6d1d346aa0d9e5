"""The drill-down page in a real browser: summary first, bars drawn, posts escaped, no CSP errors.

Reuses the live-stream test's server fixture (the real app under uvicorn on SQLite).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, XSS, server

from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Identity, Interaction, InteractionSubject
from groundswell.listening.alerts.models import Alert
from groundswell.listening.models import Subject
from groundswell.listening.rollups import RollupInput, add_to_rollups, aggregate

pytestmark = pytest.mark.browser
__all__ = ["server"]

SPIKE = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)


def _world(db: Database) -> int:
    """A day of ordinary talk, then a delay storm with an alert on it; returns the alert id."""
    with db.session() as s:
        tw, ma = (
            Channel(key="twitter", name="X / Twitter"),
            Channel(key="mastodon", name="Mastodon"),
        )
        acme = Subject(name="Acme Air", kind="brand", query="@acmeair")
        s.add_all([tw, ma, acme])
        s.flush()
        jane = Contact(display_name="Jane Doe")
        s.add(jane)
        s.flush()
        people = [
            Identity(
                platform="twitter",
                external_id=str(n),
                handle=f"@flyer{n}",
                followers=150 * n,
                contact_id=jane.id if n == 3 else None,
            )
            for n in range(8)
        ]
        s.add_all(people)
        s.flush()
        rows = []
        for k in range(300):
            at = SPIKE - timedelta(hours=24) + timedelta(minutes=4.8 * k)
            rows.append(("@acmeair smooth flight and friendly crew, thanks", at, "positive", tw))
        storm = [
            "@acmeair flight delayed three hours and now cancelled, nobody at the gate",
            "@acmeair on hold for two hours to rebook my cancelled flight",
            "@acmeair cancelled again?! stuck in Denver, need a hotel voucher",
            "@acmeair bags lost after the delay, the app shows nothing",
        ]
        for k in range(80):
            rows.append(
                (
                    storm[k % 4] + f" #{k}",
                    SPIKE + timedelta(seconds=20 * k),
                    "negative",
                    ma if k % 5 == 0 else tw,
                )
            )
        rows.append((XSS + " cancelled", SPIKE + timedelta(minutes=3), "negative", tw))
        made = []
        for n, (text, at, label, ch) in enumerate(rows):
            who = people[n % 8]
            row = Interaction(
                channel_id=ch.id,
                external_id=f"d{n}",
                direction="in",
                identity_id=who.id,
                contact_id=who.contact_id,
                text=text,
                created_at=at,
                sentiment_label=label,
                sentiment_score=-0.7 if label == "negative" else 0.5,
                subject_ids=[acme.id],
                influence=float(n % 8) * 5,
            )
            s.add(row)
            made.append(row)
        s.flush()
        s.add_all(InteractionSubject(interaction_id=r.id, subject_id=acme.id) for r in made)
        add_to_rollups(
            s,
            aggregate(
                RollupInput(
                    r.created_at,
                    r.channel_id,
                    r.sentiment_label or "neutral",
                    r.sentiment_score or 0.0,
                    (acme.id,),
                )
                for r in made
            ),
        )
        alert = Alert(
            subject_id=acme.id,
            metric="negative",
            status="open",
            severity=7,
            started_at=SPIKE,
            last_anomaly_at=SPIKE + timedelta(minutes=20),
            expected=2.0,
            observed=20.0,
        )
        s.add(alert)
        s.flush()
        return alert.id


def test_alert_drilldown_page(server: tuple[str, Database], request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    alert_id = _world(db)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        try:
            page.goto(f"{base}/drilldown?alert_id={alert_id}")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Drill-down: Acme Air")
            summary = page.locator("#summary")
            expect(summary).to_contain_text("rose to")
            expect(summary).to_contain_text("negative")
            expect(page.locator("#terms")).to_contain_text("cancelled")
            assert page.locator("#sentiment rect").count() >= 1
            width = page.locator("#channels .dd-bar rect").first.get_attribute("width")
            assert width is not None and float(width) > 50
            expect(page.locator(f"#authors a[href='/contacts/{1}']")).to_have_count(1)
            expect(page.locator("#clusters .dd-cluster").first).to_be_visible()
            expect(page.locator("#samples .dd-post")).not_to_have_count(0)
            assert page.locator("main img").count() == 0
            assert XSS not in page.content()
            page.screenshot(path=str(ARTIFACTS / "drilldown-alert.png"), full_page=True)

            page.click("#authors a.author")
            expect(page.locator("h1")).to_have_text("Jane Doe")
            assert dialogs == []
            assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
        except Exception:
            page.screenshot(
                path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True
            )
            raise
        finally:
            browser.close()
