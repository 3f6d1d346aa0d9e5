"""The "Users & tokens" admin page: listing, every form, refusals, and admins only."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf

STRONG = "plinth-marmalade-orbit-97"


def _as_admin(client: TestClient, factory: Factory) -> tuple[int, str]:
    admin_id = factory.user(email="ana@example.com", role="admin")
    login(client)
    return admin_id, page_csrf(client, "/admin/access")


def test_only_admins_see_the_page_and_its_nav_entry(client: TestClient, factory: Factory) -> None:
    factory.user(email="ana@example.com", role="agent")
    login(client)
    assert "Users &amp; tokens" not in client.get("/stream").text
    assert client.get("/admin/access").status_code == 403
    token = page_csrf(client)
    refused = client.post("/admin/access/tokens/revoke", data={"csrf_token": token, "token_id": 1})
    assert refused.status_code == 403


def test_page_lists_users_tokens_and_audit(client: TestClient, factory: Factory) -> None:
    admin_id, _ = _as_admin(client, factory)
    factory.user(email="bo@example.com", role="agent")
    factory.token(admin_id)
    page = client.get("/admin/access")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'aria-current="page">Users &amp; tokens' in page.text
    assert "bo@example.com" in page.text and "gsk_" not in page.text
    assert 'id="tokens"' in page.text and 'id="audit"' in page.text


def test_forms_create_revoke_deactivate_and_audit(client: TestClient, factory: Factory) -> None:
    admin_id, csrf = _as_admin(client, factory)
    made = client.post(
        "/admin/access/users",
        data={"csrf_token": csrf, "email": "cy@example.com", "role": "analyst", "password": STRONG},
    )
    assert made.status_code == 200 and "Created analyst cy@example.com." in made.text
    cy = int(re.search(r'id="user-(\d+)"[^>]*>\s*<td>cy@example.com', made.text).group(1))  # type: ignore[union-attr]
    created = client.post(
        "/admin/access/tokens",
        data={
            "csrf_token": csrf,
            "user_id": cy,
            "name": "zap",
            "scopes": ["read", "ingest"],
            "expires_in_days": 30,
        },
    )
    assert created.status_code == 201
    token = re.search(r'<code class="secret">(gsk_[^<]+)</code>', created.text).group(1)  # type: ignore[union-attr]
    ok = client.get("/api/v1/interactions", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert token not in client.get("/admin/access").text  # shown once only
    token_id = int(re.search(r'id="token-(\d+)"', created.text).group(1))  # type: ignore[union-attr]
    client.post("/admin/access/tokens/revoke", data={"csrf_token": csrf, "token_id": token_id})
    gone = client.get("/api/v1/interactions", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401
    off = client.post(
        "/admin/access/users/active", data={"csrf_token": csrf, "user_id": cy, "active": "false"}
    )
    assert "Deactivated cy@example.com." in off.text
    weak = client.post(
        "/admin/access/users/password",
        data={"csrf_token": csrf, "user_id": cy, "new_password": "password1234"},
    )
    assert weak.status_code == 422 and "password: is too weak" in weak.text
    page = client.get("/admin/access").text
    for action in ("user.create", "token.create", "token.revoke", "user.deactivate"):
        assert f"<code>{action}</code>" in page
    assert admin_id


def test_forms_need_the_csrf_token(client: TestClient, factory: Factory) -> None:
    _as_admin(client, factory)
    response = client.post(
        "/admin/access/users",
        data={"email": "cy@example.com", "role": "admin", "password": STRONG},
    )
    assert response.status_code == 403


def test_refusals_are_shown_not_raised(client: TestClient, factory: Factory) -> None:
    admin_id, csrf = _as_admin(client, factory)
    myself = client.post(
        "/admin/access/users/active",
        data={"csrf_token": csrf, "user_id": admin_id, "active": "false"},
    )
    assert myself.status_code == 422 and "cannot deactivate yourself" in myself.text
    missing = client.post(
        "/admin/access/tokens/revoke", data={"csrf_token": csrf, "token_id": 424242}
    )
    assert missing.status_code == 422 and "not found" in missing.text
    no_scope = client.post(
        "/admin/access/tokens",
        data={"csrf_token": csrf, "user_id": admin_id, "name": "x", "expires_in_days": 5},
    )
    assert no_scope.status_code == 422 and "scopes" in no_scope.text
    hostile = client.post(
        "/admin/access/users",
        data={
            "csrf_token": csrf,
            "email": "x@example.com",
            "name": "<script>alert(1)</script>",
            "password": STRONG,
        },
    )
    assert "<script>alert(1)</script>" not in hostile.text
    assert "&lt;script&gt;" in hostile.text


def test_changing_your_own_password_logs_you_out(client: TestClient, factory: Factory) -> None:
    admin_id, csrf = _as_admin(client, factory)
    response = client.post(
        "/admin/access/users/password",
        data={
            "csrf_token": csrf,
            "user_id": admin_id,
            "new_password": STRONG,
            "current_password": "wrong",
        },
    )
    assert response.status_code == 422 and "current password is wrong" in response.text
    from gs_webtest import PASSWORD

    response = client.post(
        "/admin/access/users/password",
        data={
            "csrf_token": csrf,
            "user_id": admin_id,
            "new_password": STRONG,
            "current_password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303
