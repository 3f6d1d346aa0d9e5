"""The Models page in a real browser: versions with figures and the gate, and a rollback.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_stream_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.core.db import Database
from groundswell.enrichment.model.store import SHIPPED, ModelStore
from tests_model_store_helpers import candidate_folder

pytestmark = pytest.mark.browser

__all__ = ["server"]

ADMIN, PASSWORD = "admin@example.com", "a long enough password"


def test_models_page_rolls_back(server: tuple[str, Database], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    with db.session() as s:
        create_user(s, data=UserCreate(email=ADMIN, password=PASSWORD, role="admin"))
    store = ModelStore(tmp_path / "groundswell-data" / "models")  # the server's working dir
    folder = candidate_folder(tmp_path / "cand", "minilm-sent-r2")
    store.add(
        folder,
        parent=SHIPPED,
        figures={
            "airline_test": {
                "candidate": {"macro_recall": 0.7812, "accuracy": 0.8351, "n": 2215.0},
                "active": {"macro_recall": 0.7789, "accuracy": 0.8302, "n": 2215.0},
            }
        },
        gate={
            "passed": True,
            "rules": [
                {
                    "set": "airline_test",
                    "metric": "macro_recall",
                    "candidate": 0.7812,
                    "active": 0.7789,
                    "passed": True,
                }
            ],
        },
    )
    store.activate(2, reason="retrain: gate passed against v1")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(base + "/login?next=%2Fmodels")
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base + "/models")
            row = page.locator("#model-2")
            expect(row).to_contain_text("in use")
            expect(row).to_contain_text("airline_test macro_recall: 0.7812 vs 0.7789")
            expect(page.locator("#model-1")).to_contain_text("minilm-sent-v3")
            expect(page.locator("footer .model-version")).to_contain_text("minilm-sent-r2")
            page.screenshot(path=str(ARTIFACTS / "models-page.png"), full_page=True)
            page.locator("#model-1 button").click()
            expect(page.locator("#model-1")).to_contain_text("in use")
            expect(page.locator("#model-2 button")).to_have_text("Activate v2")
            expect(page.locator("#model-history")).to_contain_text("v2 → v1 (web: rollback)")
            expect(page.locator("footer .model-version")).to_contain_text("minilm-sent-v3")
            page.screenshot(path=str(ARTIFACTS / "models-rolled-back.png"), full_page=True)
        finally:
            browser.close()
    assert store.active() == SHIPPED
