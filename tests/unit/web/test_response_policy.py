"""HSTS in production and ``Cache-Control: no-store`` on pages and API answers."""

from __future__ import annotations

from fastapi.testclient import TestClient
from gs_webtest import Factory, login
from pydantic import SecretStr

from groundswell.app import create_app
from groundswell.settings import Settings


def test_pages_and_api_are_not_stored(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    for path in ("/", "/stream", "/login", "/api/v1/interactions"):
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert "strict-transport-security" not in response.headers  # not production
    assert client.get("/static/app.css").headers.get("cache-control") != "no-store"


def test_production_sends_hsts(settings: Settings) -> None:
    prod = settings.model_copy(
        update={
            "environment": "production",
            "secret_key": SecretStr("s" * 40),
            "webhook_secret": SecretStr("w" * 40),
        }
    )
    with TestClient(create_app(prod, embedded_worker=False), base_url="https://testserver") as c:
        response = c.get("/login")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        assert response.headers["cache-control"] == "no-store"
