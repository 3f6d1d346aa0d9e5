"""An XSS corpus in every field a page shows, checked in chromium's DOM, not the HTML source.

Each payload carries a ``data-xss`` marker: if any page ever turns one into markup, the
marked element shows up in the live DOM (after HTMX has swapped its fragments in), which
a look at the served HTML alone can miss. Dialogs, ``javascript:`` links and CSP
violations are collected on every page too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EMAIL, PASSWORD, World, server

from groundswell.core.db import Database
from groundswell.crm.models import Contact, Identity
from groundswell.listening.alerts.models import Alert, AlertRule
from groundswell.listening.models import Subject

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the stream test's app-under-uvicorn fixture, reused

CORPUS = [
    "<script data-xss>alert(1)</script>",
    "<img src=x onerror=alert(1) data-xss>",
    '"><svg onload=alert(1) data-xss>',
    '\'><iframe data-xss srcdoc="<script>alert(1)</script>"></iframe>',
    "</textarea></title><b data-xss>b</b>",
    '<a data-xss href="javascript:alert(1)">x</a>',
    '<div data-xss hx-get="/logout" hx-trigger="load">h</div>',
    "<math><mtext></p><img src=x onerror=alert(1) data-xss>",
    "</script><script data-xss>alert(1)</script>",
    "<style data-xss>body{display:none}</style>",
    "{{7*7}}<i data-xss>{% raw %}</i>",
    "<details open ontoggle=alert(1) data-xss>",
]
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));
"""


def _seed(db: Database) -> dict[str, int]:
    world = World(db)
    for payload in CORPUS:
        world.post(f"post {payload}", acme=True)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with db.session() as s:
        contact = s.get(Contact, world.ids["jane"])
        assert contact is not None
        contact.display_name = " ".join(CORPUS[:4])[:300]
        identity = s.get(Identity, world.ids["jane_tw"])
        assert identity is not None
        identity.handle = CORPUS[1][:200]
        identity.display_name = CORPUS[2]
        identity.profile_url = "javascript:alert(1)"
        for n, payload in enumerate(CORPUS):
            s.add(Subject(name=f"s{n} {payload}"[:200], kind="topic", query=f"word{n}"))
        s.add(
            AlertRule(
                name=" ".join(CORPUS[4:7])[:200],
                subject_ids=None,
                metrics=["volume"],
                min_severity=1,
                targets=[{"kind": "email", "to": "care@example.com"}],
            )
        )
        s.add(
            Alert(
                subject_id=world.ids["acme"],
                metric="volume",
                status="open",
                severity=7,
                started_at=now - timedelta(minutes=2),
                last_anomaly_at=now,
                expected=2.0,
                observed=20.0,
                summary=" ".join(CORPUS[7:]),
                created_at=now,
                updated_at=now,
            )
        )
        s.flush()
    return {"acme": world.ids["acme"], "jane": world.ids["jane"]}


def _inspect(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => ({
                marked: document.querySelectorAll('[data-xss]').length,
                jsLinks: [...document.querySelectorAll('a[href]')]
                    .filter(a => a.href.trim().toLowerCase().startsWith('javascript:')).length,
                csp: window.__csp || [],
                hidden: getComputedStyle(document.body).display === 'none',
            })"""
        )
    )


def test_no_payload_becomes_markup_on_any_page(
    server: tuple[str, Database], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    ids = _seed(db)
    pages = [
        "/stream",
        f"/stream?subject={ids['acme']}",
        "/contacts",
        f"/contacts?q={CORPUS[0]}",
        f"/contacts/{ids['jane']}",
        "/subjects",
        "/listening",
        f"/listening?subject={ids['acme']}",
        "/alerts",
        "/alerts/rules",
        "/alerts/deliveries",
        f"/drilldown?subject_id={ids['acme']}",
        f"/no-such-page/{CORPUS[1]}",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    findings: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(WATCH)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            page.goto(base + "/login")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base + "/")
            for path in pages:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(300)  # HTMX fragments loaded on "load" swap in
                seen = _inspect(page)
                if seen["marked"] or seen["jsLinks"] or seen["csp"] or seen["hidden"]:
                    findings[path] = seen
                if path == "/stream":
                    expect(page.locator("#stream-list")).to_contain_text(CORPUS[0])
            page.goto(base + "/stream")
            page.screenshot(path=str(ARTIFACTS / "xss-corpus-stream.png"), full_page=True)
        finally:
            browser.close()
    assert not dialogs, dialogs
    assert not findings, findings
