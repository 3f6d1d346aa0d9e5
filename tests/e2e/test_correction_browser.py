"""Correcting a post in a real browser: open the control on the Stream, pick a sentiment and
intents, save, and see the post redrawn in place as corrected; then the same on the contact's
timeline. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, World, server

from groundswell.core.db import Database
from groundswell.crm.correction_models import Correction
from groundswell.crm.models import Interaction
from groundswell.listening.models import ALL_POSTS, MinuteRollup

pytestmark = pytest.mark.browser

__all__ = ["server"]  # the stream test's app-under-uvicorn fixture, reused


def _rollup_labels(db: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    with db.session() as s:
        for r in s.scalars(select(MinuteRollup).where(MinuteRollup.subject_id == ALL_POSTS)):
            counts[r.sentiment_label] = counts.get(r.sentiment_label, 0) + r.count
    return {label: n for label, n in counts.items() if n}


def test_correct_a_post_on_the_stream(
    server: tuple[str, Database], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    world = World(db)
    world.post("Acme checkout is fast now", label="positive", score=0.6, acme=True)
    target = world.post(
        "Great, my bag is lost AGAIN. Thanks Acme.", label="positive", score=0.64, acme=True
    )
    with db.session() as s:
        row = s.get(Interaction, target)
        assert row is not None
        row.sentiment_confidence = 0.87
        row.sentiment_model = "gs-model-test"
        row.intents = {"praise": 0.7}
        row.intent = "praise"
        # The World helper writes rows directly; give the post the rollup the pipeline would.
        s.add(
            MinuteRollup(
                minute=row.created_at.replace(second=0, microsecond=0),
                subject_id=ALL_POSTS,
                channel_id=row.channel_id,
                sentiment_label="positive",
                count=1,
                sentiment_sum=0.64,
            )
        )
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        try:
            page.goto(base + "/login?next=%2Fstream")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base + "/stream")
            expect(page.locator("footer .model-version")).to_contain_text(
                re.compile(r"\((lexicon|model)\)")
            )

            post = page.locator(f"#post-{target}")
            expect(post.locator(".badge.sentiment")).to_have_text("positive 0.87")
            expect(post.locator(".badge.intent")).to_have_text("praise")
            page.evaluate("document.body.dataset.loadedOnce = 'yes'")

            post.locator("details.correct summary").click()
            form = post.locator("details.correct form")
            expect(form).to_be_visible()
            form.locator("input[name=sentiment][value=negative]").check()
            form.locator("input[name=intents][value=praise]").uncheck()
            form.locator("input[name=intents][value=complaint]").check()
            form.locator("input[name=intents][value=churn_threat]").check()
            page.screenshot(path=str(ARTIFACTS / "correction-form.png"))
            form.locator("button[type=submit]").click()

            expect(post.locator(".corrected")).to_have_text("corrected by " + EMAIL)
            expect(post.locator(".badge.sentiment.negative")).to_have_text("negative")
            expect(post.locator(".badge.intent")).to_have_text(["complaint", "churn threat"])
            expect(post.locator("details.correct")).not_to_have_attribute("open", "")
            assert page.evaluate("document.body.dataset.loadedOnce") == "yes"
            page.screenshot(path=str(ARTIFACTS / "correction-stream.png"), full_page=True)

            with db.session() as s:
                stored = s.scalars(select(Correction)).one()
                assert stored.sentiment_label == "negative"
                assert stored.intents == ["complaint", "churn_threat"]
                assert stored.previous_sentiment == "positive"
                assert stored.model_version == "gs-model-test"
            assert _rollup_labels(db) == {"negative": 1}

            # The contact's timeline shows the correction and corrects the same way.
            post.locator("a.author").click()
            entry = page.locator(f"#entry-{target}")
            expect(entry.locator(".corrected")).to_have_text("corrected by " + EMAIL)
            entry.locator("details.correct summary").click()
            entry.locator("input[name=sentiment][value=neutral]").check()
            entry.locator("details.correct button[type=submit]").click()
            expect(entry.locator(".badge.sentiment.neutral")).to_have_text("neutral")
            page.screenshot(path=str(ARTIFACTS / "correction-timeline.png"), full_page=True)
            assert _rollup_labels(db) == {"neutral": 1}
            assert not [e for e in console_errors if "404" not in e], console_errors
            assert [u for u in missing if not u.endswith("/favicon.ico")] == []
        except Exception:
            page.screenshot(
                path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True
            )
            raise
        finally:
            browser.close()
