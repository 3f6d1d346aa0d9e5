"""Login, logout, redirects for anonymous visitors, and failed-login throttling."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from gs_webtest import PASSWORD, Factory, csrf_from, login


@pytest.mark.parametrize("path", ["/", "/stream", "/contacts", "/contacts/1", "/subjects"])
def test_pages_redirect_to_login_when_logged_out(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_redirect_remembers_the_page(client: TestClient) -> None:
    response = client.get("/contacts?q=ann", follow_redirects=False)
    assert response.headers["location"] == "/login?next=%2Fcontacts%3Fq%3Dann"


def test_htmx_poll_after_logout_is_told_to_redirect(client: TestClient) -> None:
    response = client.get("/stream/poll?after_id=0", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.text == ""


def test_login_success_sets_session_and_shows_user(client: TestClient, factory: Factory) -> None:
    factory.user(email="ana@example.com", role="analyst")
    response = login(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "ana@example.com" in page.text
    assert "analyst" in page.text


def test_login_goes_back_to_a_local_next_only(client: TestClient, factory: Factory) -> None:
    factory.user()
    token = csrf_from(client.get("/login").text)
    form = {"email": "ana@example.com", "password": PASSWORD, "csrf_token": token}
    response = client.post(
        "/login", data={**form, "next": "//evil.example/x"}, follow_redirects=False
    )
    assert response.headers["location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={**form, "csrf_token": token, "next": "/contacts?q=x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/contacts?q=x"


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
)
def test_login_failure(client: TestClient, factory: Factory, email: str, password: str) -> None:
    factory.user()
    response = login(client, email=email, password=password)
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_inactive_user_cannot_log_in(client: TestClient, factory: Factory) -> None:
    from groundswell.auth.models import User

    user_id = factory.user()
    with factory.db.session() as s:
        user = s.get(User, user_id)
        assert user is not None
        user.active = False
    assert login(client).status_code == 401


def test_logout_ends_the_session(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    token = csrf_from(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_failed_logins_are_throttled_per_account(client: TestClient, factory: Factory) -> None:
    factory.user()
    limiter = client.app.state.login_throttle  # type: ignore[attr-defined]
    for _ in range(limiter.per_account.amount):
        assert login(client, password="nope").status_code == 401
    blocked = login(client)  # even the right password waits out the window
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    limiter.reset()
    assert login(client).status_code == 303


def test_session_user_that_disappears_is_logged_out(client: TestClient, factory: Factory) -> None:
    from groundswell.auth.models import User

    user_id = factory.user()
    login(client)
    with factory.db.session() as s:
        s.delete(s.get(User, user_id))
    assert client.get("/", follow_redirects=False).status_code == 303
