"""The model store over the API and the /models page: list with figures, switch, roll back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.db import Database
from groundswell.enrichment.model.store import SHIPPED, ModelStore
from groundswell.settings import Settings
from gs_testing import make_settings
from tests_model_store_helpers import candidate_folder

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def store_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return make_settings(sqlite_url, model_store_dir=str(tmp_path / "models"))


@pytest.fixture
def store(store_settings: Settings, tmp_path: Path) -> ModelStore:
    store = ModelStore(store_settings.model_store_dir)
    folder = candidate_folder(tmp_path / "cand", "minilm-sent-r2")
    figures = {
        "airline_test": {"candidate": {"macro_recall": 0.81}, "active": {"macro_recall": 0.8}}
    }
    gate = {
        "passed": True,
        "rules": [
            {
                "set": "airline_test",
                "metric": "macro_recall",
                "candidate": 0.81,
                "active": 0.8,
                "passed": True,
            }
        ],
    }
    store.add(folder, parent=SHIPPED, figures=figures, gate=gate)
    store.activate(2, reason="retrain: gate passed")
    return store


@pytest.fixture
def users(store_settings: Settings) -> dict[str, str]:
    db = Database(store_settings)
    try:
        with db.session() as s:
            admin = create_user(
                s, data=UserCreate(email="ana@example.com", password="x" * 12, role="admin")
            )
            agent = create_user(
                s, data=UserCreate(email="bo@example.com", password="x" * 12, role="agent")
            )
            tokens = {
                "admin": create_api_token(s, user_id=admin.id, name="t"),
                "agent": create_api_token(s, user_id=agent.id, name="t"),
            }
        return tokens
    finally:
        db.dispose()


@pytest.fixture
def client(store_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(store_settings, embedded_worker=False)) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_versions_and_only_admins_switch(
    client: TestClient, store: ModelStore, users: dict[str, str]
) -> None:
    response = client.get("/api/v1/models", headers=_bearer(users["agent"]))
    assert response.status_code == 200, response.text
    listed = response.json()
    assert listed["active"] == 2
    assert [v["number"] for v in listed["versions"]] == [1, 2]
    assert listed["versions"][1]["gate"]["passed"] is True
    assert listed["versions"][0]["figures"]["shipped"]["airline_test"]["accuracy"] > 0.8

    url = "/api/v1/models/1/activate"
    assert client.post(url, headers=_bearer(users["agent"])).status_code == 403
    missing = client.post("/api/v1/models/9/activate", headers=_bearer(users["admin"]))
    assert missing.status_code == 404 and "9" in missing.json()["detail"]
    done = client.post(url, json={"reason": "bad labels"}, headers=_bearer(users["admin"]))
    assert done.status_code == 200 and done.json()["active"] == 1
    assert store.active() == SHIPPED
    assert store.history()[-1]["reason"] == "api: bad labels"
    assert client.get("/api/v1/models").status_code == 401


def test_models_page_shows_figures_and_rolls_back(
    client: TestClient, store: ModelStore, users: dict[str, str]
) -> None:
    form = {"email": "ana@example.com", "password": "x" * 12, "next": "/"}
    match = _CSRF.search(client.get("/login").text)
    assert match
    form["csrf_token"] = match.group(1)
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    page = client.get("/models")
    assert page.status_code == 200
    html = page.text
    assert "minilm-sent-r2" in html and "in use" in html and "Roll back to v1" in html
    assert "airline_test macro_recall: 0.8100 vs 0.8000" in html
    # Figures read as the docs print them: points, not raw fractions.
    assert "<em>airline test</em>: macro-recall 81.0" in html
    assert "(active then: macro-recall 80.0)" in html
    token = _CSRF.search(html)
    assert token
    moved = client.post(
        "/models/1/activate",
        data={"csrf_token": token.group(1), "reason": "rollback"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and store.active() == SHIPPED
    assert "Activate v2" in client.get("/models").text
    assert client.post("/models/1/activate", data={"reason": "x"}).status_code in (400, 403)
