"""``/account``: change your own password, log out everywhere else."""

from __future__ import annotations

from fastapi.testclient import TestClient
from gs_webtest import PASSWORD, Factory, login, page_csrf

STRONG = "plinth-marmalade-orbit-97"


def test_change_own_password_keeps_this_browser_and_ends_others(
    client: TestClient, factory: Factory
) -> None:
    factory.user(role="agent")
    login(client)
    laptop = TestClient(client.app)
    login(laptop)
    page = client.get("/account")
    assert page.status_code == 200 and 'id="sessions"' in page.text
    assert page.headers["cache-control"] == "no-store"
    csrf = page_csrf(client, "/account")
    weak = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": "password1234"},
    )
    assert weak.status_code == 422 and "too weak" in weak.text
    wrong = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": "nope", "new_password": STRONG},
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    done = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": STRONG},
    )
    assert done.status_code == 200 and "Password changed" in done.text
    assert client.get("/", follow_redirects=False).status_code == 200
    assert laptop.get("/", follow_redirects=False).status_code == 303


def test_log_out_everywhere_else(client: TestClient, factory: Factory) -> None:
    factory.user(role="analyst")
    login(client)
    laptop = TestClient(client.app)
    login(laptop)
    done = client.post("/account/end-sessions", data={"csrf_token": page_csrf(client, "/account")})
    assert "Ended 1 other session(s)." in done.text
    assert client.get("/", follow_redirects=False).status_code == 200
    assert laptop.get("/", follow_redirects=False).status_code == 303


def test_account_forms_need_csrf_and_login(client: TestClient, factory: Factory) -> None:
    factory.user()
    assert client.get("/account", follow_redirects=False).status_code == 303
    login(client)
    refused = client.post("/account/end-sessions", data={})
    assert refused.status_code == 403
