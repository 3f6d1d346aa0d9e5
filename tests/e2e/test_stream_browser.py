"""The live stream in a real browser: log in, watch new posts arrive without a reload.

Runs the real app under uvicorn on a free local port with a SQLite file, and Debian's
chromium through Playwright. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Identity, Interaction, InteractionSubject
from groundswell.listening.models import Subject
from groundswell.settings import Settings
from gs_e2e_server import print_server_log
from gs_testing import migrated_sqlite_url

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMAIL, PASSWORD = "agent@example.com", "a long enough password"
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    url = migrated_sqlite_url(tmp_path / "e2e.db")
    db = Database(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    with db.session() as s:
        create_user(s, data=UserCreate(email=EMAIL, password=PASSWORD, role="analyst"))
    port = _free_port()
    env = {
        **os.environ,
        "GROUNDSWELL_DATABASE_URL": url,
        "GROUNDSWELL_ENVIRONMENT": "test",
        "GROUNDSWELL_SECRET_KEY": "e2e-secret-key-for-this-run-only",
        # The networks' stand-ins (the channels page test) listen on loopback.
        "GROUNDSWELL_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
        "TZ": "UTC",
    }
    log = (tmp_path / "uvicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "groundswell.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if proc.poll() is not None:
                break
            try:
                if httpx.get(base + "/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the app did not start")
        if proc.poll() is not None:
            pytest.fail("uvicorn exited: " + (tmp_path / "uvicorn.log").read_text())
        yield base, db
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print_server_log(tmp_path / "uvicorn.log")
        db.dispose()


class World:
    """Inserts rows straight into the app's database, as the pipeline would."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.n = 0
        with db.session() as s:
            tw = Channel(key="twitter", name="X / Twitter")
            ma = Channel(key="mastodon", name="Mastodon")
            acme = Subject(name="Acme", kind="brand", query="acme")
            s.add_all([tw, ma, acme])
            s.flush()
            jane = Contact(display_name="Jane Doe", email="jane@example.com")
            s.add(jane)
            s.flush()
            ident = Identity(
                platform="twitter",
                external_id="u1",
                handle="@jane_doe",
                followers=1820,
                contact_id=jane.id,
                linked_by="new",
            )
            brand = Identity(platform="mastodon", external_id="b1", handle="@acme", is_brand=True)
            s.add_all([ident, brand])
            s.flush()
            self.ids = {"twitter": tw.id, "mastodon": ma.id, "acme": acme.id, "jane": jane.id}
            self.ids |= {"jane_tw": ident.id, "brand": brand.id}

    def post(
        self,
        text: str,
        *,
        channel: str = "twitter",
        label: str = "neutral",
        score: float = 0.0,
        direction: str = "in",
        acme: bool = False,
    ) -> int:
        self.n += 1
        author = "jane_tw" if direction == "in" else "brand"
        with self.db.session() as s:
            row = Interaction(
                channel_id=self.ids[channel],
                external_id=f"e2e-{self.n}",
                direction=direction,
                identity_id=self.ids[author],
                contact_id=self.ids["jane"] if direction == "in" else None,
                text=text,
                created_at=datetime.now(UTC) - timedelta(seconds=60 - self.n),
                language="en",
                sentiment_label=label,
                sentiment_score=score,
                subject_ids=[self.ids["acme"]] if acme else [],
            )
            s.add(row)
            s.flush()
            if acme:
                s.add(InteractionSubject(interaction_id=row.id, subject_id=self.ids["acme"]))
            return row.id


def test_new_posts_appear_live(
    server: tuple[str, Database], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    world = World(db)
    world.post(
        "Loving the new Acme app update, checkout is so fast now",
        label="positive",
        score=0.71,
        acme=True,
    )
    world.post(
        "Acme support answered in two minutes. Impressive.",
        channel="mastodon",
        label="positive",
        score=0.55,
        acme=True,
    )
    world.post(XSS, label="neutral", score=0.0)
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        try:
            page.goto(base + "/stream")
            expect(page).to_have_url(base + "/login?next=%2Fstream")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base + "/stream")
            expect(page.locator(".who")).to_contain_text("analyst")

            posts = page.locator("#stream-list > .post")
            expect(posts).to_have_count(3)
            # The hostile post is shown as text, and nothing ran.
            expect(posts.first.locator(".text")).to_have_text(XSS)
            assert page.locator("#stream-list img").count() == 0

            page.evaluate("document.body.dataset.loadedOnce = 'yes'")
            world.post(
                "@acme my order #4411 never arrived and nobody answers. Furious.",
                label="negative",
                score=-0.83,
                acme=True,
            )
            world.post(
                "@jane_doe so sorry! We've sent you a DM to sort out order #4411.",
                channel="mastodon",
                direction="out",
                label="positive",
                score=0.4,
            )

            expect(posts.first).to_contain_text("sent you a DM", timeout=10_000)
            expect(posts).to_have_count(5)
            expect(posts.nth(1)).to_contain_text("never arrived")
            expect(posts.nth(1).locator(".badge.sentiment.negative")).to_have_text("negative -0.83")
            expect(posts.first.locator(".direction")).to_have_text("↗ out")
            # Same document: the page was updated in place, not reloaded.
            assert page.evaluate("document.body.dataset.loadedOnce") == "yes"

            page.wait_for_timeout(600)  # let the arrival highlight settle for the picture
            page.screenshot(path=str(ARTIFACTS / "stream-live.png"), full_page=True)

            # A filtered stream stays live for matching posts only.
            page.select_option("select[name=sentiment]", "negative")
            page.click(".filters button[type=submit]")
            expect(posts).to_have_count(1)
            world.post("Acme outage again?!", label="negative", score=-0.6, acme=True)
            world.post("Nice weather", label="positive", score=0.5)
            expect(posts.first).to_contain_text("outage again", timeout=10_000)
            page.wait_for_timeout(2_500)
            expect(posts).to_have_count(2)

            page.click("#stream-list > .post >> nth=0 >> a.author")
            expect(page.locator("h1")).to_have_text("Jane Doe")
            expect(page.locator(".timeline .entry")).to_have_count(6)
            page.screenshot(path=str(ARTIFACTS / "contact-timeline.png"), full_page=True)

            page.goto(base + "/subjects")
            page.fill("input[name=name]", "Broken")
            page.fill("textarea[name=query]", "acme AND (")
            page.click("form.stack button[type=submit]")
            expect(page.locator(".query-error")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "subjects-query-error.png"), full_page=True)

            page.goto(base + "/docs")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text(
                "Groundswell", timeout=30_000
            )
            expect(page.locator(".opblock-summary-path").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "docs.png"))

            assert dialogs == []
            assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
