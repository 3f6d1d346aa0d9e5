"""Defect 5: with the session cookie, every state-changing API route needs the CSRF token.

Before the fix ``POST /api/v1/ingest`` took a cookie-authenticated post without it,
even as ``text/plain``, so a cross-site form could write into the store. The route
sweep fails for any new unsafe route that forgets the check.
"""

from __future__ import annotations

import re

import orjson
import pytest
from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf

POST = {
    "channel": "twitter",
    "external_id": "csrf-1",
    "text": "hello",
    "created_at": "2024-05-01T12:00:00Z",
    "author": {"external_id": "u1"},
}


def test_cookie_ingest_without_token_is_refused(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    body = orjson.dumps(POST)
    as_json = client.post(
        "/api/v1/ingest", content=body, headers={"content-type": "application/json"}
    )
    assert as_json.status_code == 403
    as_form = client.post("/api/v1/ingest", content=body, headers={"content-type": "text/plain"})
    assert as_form.status_code == 403


def test_cookie_ingest_with_token_and_bearer_without_it_pass(
    client: TestClient, factory: Factory
) -> None:
    user_id = factory.user()
    login(client)
    token = page_csrf(client)
    ok = client.post("/api/v1/ingest", json=POST, headers={"X-CSRF-Token": token})
    assert ok.status_code == 202, ok.text
    bearer = factory.token(user_id)
    anonymous = TestClient(client.app)
    with_token = anonymous.post(
        "/api/v1/ingest",
        json={**POST, "external_id": "csrf-2"},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert with_token.status_code == 202


def test_a_bad_bearer_token_is_not_rescued_by_the_cookie(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    login(client)
    response = client.post(
        "/api/v1/ingest", json=POST, headers={"Authorization": "Bearer gsk_forged"}
    )
    assert response.status_code == 401
    other_scheme = client.post("/api/v1/ingest", json=POST, headers={"Authorization": "Basic eA=="})
    assert other_scheme.status_code == 401


def _unsafe_api_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every state-changing operation of the API, from its OpenAPI description.

    Network webhooks are left out: they take no cookie and are verified by the network's
    signature instead (tests/unit/channels, tests/integration/channels)."""
    found = []
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    for path, operations in paths.items():
        for method in operations:
            if path.startswith("/api/v1/webhooks/"):
                continue
            if path.startswith("/api/") and method.upper() not in ("GET", "HEAD", "OPTIONS"):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_every_unsafe_api_route_needs_the_token_with_a_cookie(
    client: TestClient, factory: Factory
) -> None:
    factory.user(role="admin")
    login(client)
    routes = _unsafe_api_routes(client)
    assert ("POST", "/api/v1/ingest") in routes
    assert len(routes) >= 10
    for method, path in routes:
        response = client.request(method, path, json={})
        assert response.status_code == 403, (method, path, response.status_code)
        assert "CSRF" in response.text, (method, path)


@pytest.mark.parametrize("path", ["/api/v1/interactions", "/api/v1/admin/users"])
def test_reads_need_no_csrf_token(client: TestClient, factory: Factory, path: str) -> None:
    factory.user(role="admin")
    login(client)
    assert client.get(path).status_code == 200
