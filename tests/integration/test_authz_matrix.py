"""Every route × every kind of caller: nobody, a bad token, and each role.

The routes are read from the app itself, and each route's policy is derived from the
dependencies it declares (``current_api_user``, ``require_manager``, ``require_admin``,
``require_lead``, ``current_web_user``, ``subject_editor``, ``web_admin``, …). A route with
none of them must be listed in ``PUBLIC``; a new route that is neither fails
``test_every_route_has_a_policy``.

The sweep calls every route with the id 1, which belongs to a bystander created first,
never to a caller: revoking token 1 or ending user 1's sessions must not log the caller out
half-way. Pages that rotate the CSRF token (re-login after ending one's other sessions) are
followed the way a browser does: the next form carries the token of the page it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from gs_testing import make_settings, migrated_sqlite_url

PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/login"): "the login form",
    ("POST", "/login"): "the login itself",
    ("GET", "/docs"): "the API reference page (no data)",
    ("GET", "/favicon.ico"): "the icon",
    ("POST", "/logout"): "ends the caller's own session (CSRF-checked)",
    ("GET", "/api/v1/webhooks/{channel}"): "a network's subscription handshake (verify token)",
    ("POST", "/api/v1/webhooks/{channel}"): "a network's push, verified by its signature",
    ("GET", "/csat/{token}"): "the customer's survey page, by a signed single-use link",
    ("POST", "/csat/{token}"): "the customer's survey answer, by a signed single-use link",
    ("GET", "/p/{token}"): "the customer's profiling form, by a signed expiring link",
    ("POST", "/p/{token}"): "the customer's profiling answer, by a signed link, rate-limited",
    ("GET", "/healthz"): "liveness probe: says the process answers, nothing else",
    ("GET", "/readyz"): "readiness probe: whether the database and broker answer, no data",
    ("GET", "/widget/chat.js"): "the web chat widget's script, embedded on customers' sites",
    ("GET", "/widget/chat.css"): "the web chat widget's styles",
    ("GET", "/demo/site"): "the demo's made-up company page (not served in production)",
    ("OPTIONS", "/chat/v1/{public_key}/{action}"): "web chat CORS preflight",
    ("GET", "/chat/v1/{public_key}/config"): "web chat greeting, by the channel's public key",
    ("POST", "/chat/v1/{public_key}/conversations"): "a visitor starts a chat (rate-limited)",
    ("POST", "/chat/v1/{public_key}/messages"): "a visitor writes, by the conversation token",
    ("GET", "/chat/v1/{public_key}/messages"): "a visitor reads, by the conversation token",
}
"""Routes anyone may call, each with why. Everything else needs a policy below."""

ROLES = ("admin", "analyst", "agent", "lead")
PASSWORD = "password123"

# Dependency → policy. The first match in this order wins.
POLICIES = (
    ("require_admin", "admin"),
    ("metrics_reader", "api-user"),
    ("channels_admin", "admin"),
    ("admin_only", "admin"),
    ("web_admin", "admin"),
    ("require_lead", "lead"),
    ("require_self_or_lead", "lead"),  # the sweep's id 1 is never the caller's own
    ("models_admin", "admin"),
    ("require_worker", "worker"),
    ("web_worker", "worker"),
    ("require_manager.<locals>.check", "api-manager"),
    ("require_team_reader", "team-reader"),
    ("web_team_reader", "team-reader"),
    ("current_api_user", "api-user"),
    ("subject_editor", "web-manager"),
    ("alert_manager", "web-manager"),
    ("digest_manager", "web-manager"),
    ("privacy_officer", "web-manager"),
    ("segment_editor", "web-manager"),
    ("current_web_user", "web-user"),
)
ALLOWED = {
    "admin": {"admin"},
    "lead": {"admin", "lead"},
    "worker": {"admin", "lead", "agent"},
    "api-manager": {"admin", "analyst"},
    "team-reader": {"admin", "analyst", "lead"},
    "api-user": set(ROLES),
    "web-manager": {"admin", "analyst"},
    "web-user": set(ROLES),
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    dependencies: frozenset[str]

    @property
    def policy(self) -> str | None:
        if (self.method, self.path) in PUBLIC:
            return "public"
        for name, policy in POLICIES:
            if name in self.dependencies:
                return policy
        return None

    @property
    def url(self) -> str:
        return re.sub(r"\{[^}]+\}", "1", self.path)


def _names(dependant: Any) -> Iterator[str]:
    for sub in dependant.dependencies:
        yield getattr(sub.call, "__qualname__", repr(sub.call))
        yield from _names(sub)


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()


def endpoints(app: FastAPI) -> list[Endpoint]:
    found = []
    for route in _routes(app.routes):
        deps = frozenset(_names(route.dependant))
        for method in sorted(route.methods - {"HEAD"}):
            found.append(Endpoint(method, route.path, deps))
    return sorted(found, key=lambda e: (e.path == "/logout", e.path, e.method))


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:

    url = migrated_sqlite_url(tmp_path_factory.mktemp("authz") / "gs.db")
    settings = make_settings(url)
    db = Database(settings)
    tokens: dict[str, str] = {}
    with db.session() as s:
        bystander = create_user(
            s, data=UserCreate(email="bystander@example.com", password=PASSWORD, role="admin")
        )
        create_api_token(s, user_id=bystander.id, name="bystander")
        assert bystander.id == 1, "the sweep's id 1 must be nobody's own account"
        for role in ROLES:
            user = create_user(
                s, data=UserCreate(email=f"{role}@example.com", password=PASSWORD, role=role)
            )
            tokens[role] = create_api_token(s, user_id=user.id, name=role)
    app = create_app(settings, broker=MemoryBroker(), embedded_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield {"app": app, "client": client, "tokens": tokens}
    db.dispose()


def test_every_route_has_a_policy(matrix: dict[str, Any]) -> None:
    missing = [f"{e.method} {e.path}" for e in endpoints(matrix["app"]) if e.policy is None]
    assert not missing, f"routes without an authorization policy: {missing}"
    assert len(endpoints(matrix["app"])) >= 60


def _call(client: TestClient, endpoint: Endpoint, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if endpoint.method in ("POST", "PUT", "PATCH"):
        if endpoint.path.startswith("/api/"):
            kwargs["json"] = {}
        else:
            kwargs["data"] = {}
    return client.request(endpoint.method, endpoint.url, **kwargs)


def _refused(response: Any, endpoint: Endpoint) -> bool:
    if response.status_code in (401, 403):
        return True
    if not endpoint.path.startswith("/api/") and response.status_code == 303:
        return response.headers["location"].startswith("/login")
    return False


@pytest.mark.parametrize("caller", ["nobody", "bad-token"])
def test_callers_without_credentials_are_refused(matrix: dict[str, Any], caller: str) -> None:
    client: TestClient = matrix["client"]
    client.cookies.clear()
    headers = {"Authorization": "Bearer gs_not-a-real-token"} if caller == "bad-token" else {}
    wrong = []
    for endpoint in endpoints(matrix["app"]):
        response = _call(client, endpoint, headers)
        assert response.status_code < 500, (endpoint, response.text[:200])
        refused = _refused(response, endpoint)
        if endpoint.policy != "public" and not refused:
            wrong.append(f"{endpoint.method} {endpoint.path} → {response.status_code}")
    assert not wrong, f"{caller} reached: {wrong}"


def _login(client: TestClient, role: str) -> str:
    client.cookies.clear()
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = client.post(
        "/login",
        data={"email": f"{role}@example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return _csrf(client)


def _csrf(client: TestClient) -> str:
    """The token a page hands the browser (HTMX sends it from ``<body hx-headers>``)."""
    page = client.get("/stream")
    return page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_routes(matrix: dict[str, Any], role: str) -> None:
    client: TestClient = matrix["client"]
    wrong = []
    csrf = _login(client, role)
    bearer = {"Authorization": f"Bearer {matrix['tokens'][role]}"}
    for endpoint in endpoints(matrix["app"]):
        if endpoint.policy == "public":
            continue
        api = endpoint.path.startswith("/api/")
        response = _call(client, endpoint, bearer if api else {"X-CSRF-Token": csrf})
        assert response.status_code < 500, (endpoint, role, response.text[:200])
        allowed = role in ALLOWED[endpoint.policy or ""]
        if allowed == _refused(response, endpoint):
            wrong.append(f"{endpoint.method} {endpoint.path} → {response.status_code}")
        if not api and response.status_code == 303 and endpoint.method != "GET":
            csrf = _csrf(client)  # a redirect after a re-login: the next page's token
    assert not wrong, f"{role}: {wrong}"
