"""The Listening page in a real browser: charts drawn from the API, spikes that open their
drill-down, range and resolution controls, share of voice, and backfill progress.

Runs the app under uvicorn on a free port with a SQLite file, and Debian's chromium
through Playwright. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, server

from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Identity, Interaction
from groundswell.listening.alerts.models import Anomaly
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the stream test's app-under-uvicorn fixture, reused


def _fill(db: Database, now: datetime) -> dict[str, object]:
    """A day of minute rollups with a daily rhythm, an outage spike for Acme 3 h ago, the
    detector's anomaly rows for it, and competitors for share of voice."""
    with db.session() as s:
        tw, ma = (
            Channel(key="twitter", name="X / Twitter"),
            Channel(key="mastodon", name="Mastodon"),
        )
        acme = Subject(name="Acme", kind="brand", query="acme")
        globex = Subject(name="Globex", kind="competitor", query="globex")
        initech = Subject(name="Initech", kind="competitor", query="initech")
        s.add_all([tw, ma, acme, globex, initech])
        s.flush()
        spike = (now - timedelta(hours=3)).replace(second=0, microsecond=0)
        start = (now - timedelta(hours=24)).replace(second=0, microsecond=0)
        rows: dict[tuple[datetime, int, int, str], list[float]] = {}

        def add(minute: datetime, subject: int, channel: int, label: str, n: int) -> None:
            score = {"negative": -0.5, "neutral": 0.0, "positive": 0.5}[label]
            for sid in (subject, ALL_POSTS):
                cell = rows.setdefault((minute, sid, channel, label), [0, 0.0])
                cell[0] += n
                cell[1] += n * score

        for i in range(24 * 60):
            minute = start + timedelta(minutes=i)
            hour = minute.hour + minute.minute / 60
            rate = 2 + 4 * math.exp(-(((hour - 15) / 4) ** 2))
            n = int(rate + (i * 7919 % 5) / 2)
            add(minute, acme.id, tw.id, "neutral", n // 2)
            add(minute, acme.id, ma.id, "positive", n - n // 2 - (i % 3 == 0))
            add(minute, acme.id, tw.id, "negative", 1 + (i % 4 == 0))
            add(minute, globex.id, tw.id, "positive", n // 3)
            add(minute, initech.id, ma.id, "neutral", i % 2)
            if spike <= minute < spike + timedelta(minutes=12):
                add(minute, acme.id, tw.id, "negative", 25 + 3 * (minute - spike).seconds // 60)
        s.add_all(
            MinuteRollup(
                minute=k[0], subject_id=k[1], channel_id=k[2], sentiment_label=k[3],
                count=int(v[0]), sentiment_sum=v[1],
            )
            for k, v in rows.items()
        )  # fmt: skip
        for m in range(3, 9):
            s.add(
                Anomaly(
                    subject_id=acme.id, metric="volume" if m % 2 else "negative",
                    minute=spike + timedelta(minutes=m), expected=4.0, observed=30.0 + m,
                    severity=5 + m // 3, p_value=0.0001,
                )
            )  # fmt: skip
        author = Identity(platform="twitter", external_id="u1", handle="@jane")
        s.add(author)
        s.flush()
        for i, text in enumerate(["umbrella app is down", "umbrella rocks", "hello world"]):
            s.add(
                Interaction(
                    channel_id=tw.id, external_id=f"p{i}", direction="in", identity_id=author.id,
                    text=text, created_at=now - timedelta(minutes=30 + i),
                    sentiment_label="neutral", sentiment_score=0.0, subject_ids=[],
                )
            )  # fmt: skip
        return {"acme": acme.id, "spike": spike}


def test_listening_page(server: tuple[str, Database], request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    world = _fill(db, datetime.now(UTC))
    acme = world["acme"]
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name
    errors: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="UTC")
        page.on("pageerror", lambda e: errors.append(str(e)))
        # The drill-down page is another feature's; only its link is checked here.
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and "/drilldown" not in r.url
                else None
            ),
        )
        page.goto(base + "/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")

        page.click("nav >> text=Listening")
        page.wait_for_url("**/listening")
        expect(page.locator("#listening.loaded")).to_be_attached()
        expect(page.locator("#volume-chart canvas")).to_be_visible()
        expect(page.locator("#net-chart canvas")).to_be_visible()
        expect(page.locator("#sov-chart canvas")).to_be_visible()
        expect(page.locator("h2#series-title")).to_have_text("Acme")
        expect(page.locator("#series-totals")).to_contain_text("Spikes")
        expect(page.locator("#spike-rows tr")).to_have_count(6)
        bars = page.locator(".sov-row")
        expect(bars).to_have_count(3)
        expect(bars.first).to_contain_text("Acme")
        page.screenshot(path=str(ARTIFACTS / f"{name}-day.png"), full_page=True)

        # A click on a marked spike in the chart opens its drill-down (6 h: wider buckets).
        page.click("nav[aria-label=Range] >> text=6h")
        root = page.locator("#listening.loaded")
        expect(root).to_be_attached()
        first = datetime.fromisoformat(root.get_attribute("data-first") or "")
        last = datetime.fromisoformat(root.get_attribute("data-last") or "")
        spike: datetime = world["spike"]  # type: ignore[assignment]
        target = spike + timedelta(minutes=5, seconds=30)
        box = page.locator("#volume-chart .u-over").bounding_box()
        assert box is not None
        x = box["x"] + box["width"] * (target - first) / (last - first)
        y = box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        page.wait_for_url("**/drilldown?**")
        query = parse_qs(urlsplit(page.url).query)
        assert query["subject_id"] == [str(acme)]
        drill_start = datetime.fromisoformat(query["start"][0])
        drill_end = datetime.fromisoformat(query["end"][0])
        assert drill_start < spike + timedelta(minutes=5) < drill_end
        assert drill_end - drill_start == timedelta(minutes=10)

        # The spike table links to the same drill-downs, for keyboards and screen readers.
        page.goto(base + f"/listening?subject={acme}")
        href = page.locator("#spike-rows a.drill").first.get_attribute("href") or ""
        assert href.startswith("/drilldown?") and f"subject_id={acme}" in href

        # Range and resolution controls.
        page.click("nav[aria-label=Range] >> text=7d")
        expect(page.locator("#listening.loaded")).to_be_attached()
        assert "range=7d" in page.url and "res=1h" in page.url
        expect(page.locator("nav[aria-label=Resolution] a.on")).to_have_text("1h")
        page.screenshot(path=str(ARTIFACTS / f"{name}-week.png"), full_page=True)
        page.click("nav[aria-label=Range] >> text=1h")
        expect(page.locator("#listening.loaded")).to_be_attached()
        expect(page.locator("nav[aria-label=Resolution] a.on")).to_have_text("1m")

        # Creating a subject matches stored posts in the background, with progress.
        page.goto(base + "/subjects")
        page.fill("input[name=name]", "Umbrella")
        page.select_option("select[name=kind]", "competitor")
        page.fill("textarea[name=query]", "umbrella")
        page.click("button:has-text('Create')")
        page.wait_for_url(base + "/subjects")
        page.click("tr:has-text('Umbrella') >> text=Edit")
        expect(page.locator(".backfill.done")).to_contain_text("History matched: 2 of 3")
        page.screenshot(path=str(ARTIFACTS / f"{name}-backfill.png"), full_page=True)
        browser.close()
    assert not errors, errors


def test_gaps_custom_range_and_saved_views(
    server: tuple[str, Database], request: pytest.FixtureRequest
) -> None:
    """An outage is shaded as a gap, not drawn as a drop; a custom range opens and is saved
    as a view that reopens it."""
    import sqlalchemy as sa
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    now = datetime.now(UTC)
    world = _fill(db, now)
    outage = (now - timedelta(hours=6)).replace(second=0, microsecond=0)
    with db.session() as s:
        s.execute(
            sa.delete(MinuteRollup).where(
                MinuteRollup.minute >= outage, MinuteRollup.minute < outage + timedelta(minutes=40)
            )
        )
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="UTC")
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")

        start = (outage - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        end = (outage + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        page.goto(base + f"/listening?subject={world['acme']}")
        page.fill("#range-start", start)
        page.fill("#range-end", end)
        page.click("text=Show range")
        page.wait_for_url("**range=custom**")
        root = page.locator("#listening.loaded")
        expect(root).to_be_attached()
        assert (root.get_attribute("data-first") or "").startswith(
            (outage - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        )
        gaps = page.evaluate(
            "fetch(document.getElementById('series-csv').href).then(r => r.text())"
        )
        flags = [line.rsplit(",", 1)[1] for line in gaps.splitlines()[1:]]
        assert flags.count("1") == 40 and len(flags) == 120
        expect(page.locator(".gap-key")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"{name}-gap.png"), full_page=True)

        page.fill("input[name=name]", "Outage hour")
        page.click("text=Save view")
        page.wait_for_url("**range=custom**")
        page.goto(base + "/listening")
        page.click(".saved-view >> text=Outage hour")
        page.wait_for_url("**range=custom**")
        expect(page.locator("#range-start")).to_have_value(start)
        expect(page.locator("#listening.loaded")).to_be_attached()
        page.screenshot(path=str(ARTIFACTS / f"{name}-view.png"), full_page=True)
        browser.close()
    assert not errors, errors
