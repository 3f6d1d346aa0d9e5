"""A request's changes are committed before its response leaves the server.

A browser follows a post's redirect at once. If the commit came after the response (the
default for FastAPI's dependencies with ``yield``), the next page could read the state
from before the post: a login's new session missing (the user lands on the login form
again), an admin's change missing from the page that announces it. The probe below looks
at the database, through its own connection, at the moment the response starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from sqlalchemy import func, select

from groundswell.app import create_app
from groundswell.auth.models import AuditEntry, UserSession
from groundswell.core.db import Database
from groundswell.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ProbeAtResponseStart:
    """ASGI middleware: run ``probe`` when a POST's response starts, keep what it saw."""

    def __init__(self, app: Any, probe: Callable[[], int]) -> None:
        self.app = app
        self.probe = probe
        self.seen: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return

        async def spy(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen[scope["path"]] = self.probe()
            await send(message)

        await self.app(scope, receive, spy)


def _count(db: Database, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_login_is_stored_before_its_redirect_is_sent(
    settings: Settings, db: Database, factory: Factory
) -> None:
    factory.user()
    app = create_app(settings, embedded_worker=False)
    probe = ProbeAtResponseStart(app, lambda: _count(db, UserSession))
    with TestClient(probe, base_url="http://testserver") as client:  # type: ignore[arg-type]
        answer = login(client)
    assert answer.status_code == 303
    assert probe.seen["/login"] == 1


def test_an_admin_change_is_in_the_audit_log_before_its_redirect_is_sent(
    settings: Settings, db: Database, factory: Factory
) -> None:
    factory.user()
    agent = factory.user("agent@example.com", role="agent")
    app = create_app(settings, embedded_worker=False)
    probe = ProbeAtResponseStart(app, lambda: _count(db, AuditEntry))
    with TestClient(probe, base_url="http://testserver") as client:  # type: ignore[arg-type]
        login(client)
        before = _count(db, AuditEntry)
        answer = client.post(
            "/admin/access/users/active",
            data={"user_id": str(agent), "active": "false", "csrf_token": page_csrf(client)},
            follow_redirects=False,
        )
    assert answer.status_code == 303
    assert probe.seen["/admin/access/users/active"] == before + 1
