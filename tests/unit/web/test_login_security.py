"""Defect 2: login counters, trusted proxies, failure logs and server-side logout.

Before the fix one valid login cleared the address's failure count (so guessing never
stopped), there was no per-account counter, rotating ``X-Forwarded-For`` gave a fresh
address per guess, failures were not logged, and a copied cookie outlived logout.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from gs_webtest import PASSWORD, Factory, csrf_from, login

from groundswell.api.client_address import resolve_client
from groundswell.app import create_app
from groundswell.auth.admin import change_password, end_sessions, update_user
from groundswell.auth.audit import CLI_ACTOR
from groundswell.auth.ops_schemas import PasswordChange, UserUpdate
from groundswell.auth.password_policy import PasswordPolicy
from groundswell.settings import Settings

NEW_PASSWORD = "plinth-marmalade-orbit-97"


def small_limits(settings: Settings, **more: object) -> Settings:
    return settings.model_copy(
        update={"login_max_failures_per_account": 3, "login_max_failures_per_address": 5, **more}
    )


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    app = create_app(small_limits(settings), embedded_worker=False)
    with TestClient(app) as client:
        yield client


def test_a_valid_login_does_not_reset_guessing_another_account(
    limited: TestClient, factory: Factory
) -> None:
    factory.user(email="victim@example.com")
    factory.user(email="attacker@example.com")
    for _ in range(3):
        assert login(limited, email="victim@example.com", password="guess").status_code == 401
        assert login(limited, email="attacker@example.com").status_code == 303
        limited.cookies.clear()
    # The victim's account is now closed for the window, right password or not.
    assert login(limited, email="victim@example.com").status_code == 429


def test_spraying_many_accounts_from_one_address_is_stopped(
    limited: TestClient, factory: Factory
) -> None:
    factory.user(email="real@example.com")
    for n in range(5):
        assert login(limited, email=f"guess{n}@example.com", password="x").status_code == 401
    assert login(limited, email="real@example.com").status_code == 429


def test_rotating_forwarded_for_does_not_help_without_a_trusted_proxy(
    limited: TestClient, factory: Factory
) -> None:
    factory.user()
    for n in range(5):
        limited.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        assert login(limited, email=f"g{n}@example.com", password="x").status_code == 401
    limited.headers["X-Forwarded-For"] = "203.0.113.99"
    assert login(limited).status_code == 429


def test_a_trusted_proxy_names_the_client(settings: Settings, factory: Factory) -> None:
    factory.user()
    app = create_app(small_limits(settings, trusted_proxies=["10.0.0.0/8"]), embedded_worker=False)
    with TestClient(app, client=("10.1.2.3", 4000)) as proxy:
        for n in range(5):
            proxy.headers["X-Forwarded-For"] = "198.51.100.7, 10.9.9.9"
            assert login(proxy, email=f"g{n}@example.com", password="x").status_code == 401
        assert login(proxy).status_code == 429  # same client behind the proxy: blocked
        proxy.headers["X-Forwarded-For"] = "198.51.100.8"
        assert login(proxy).status_code == 303  # another client through the same proxy


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),  # not a proxy of ours: header ignored
        ("10.0.0.1", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # leftmost was written by the client
        ("10.0.0.1", "1.2.3.4, 10.0.0.2", "1.2.3.4"),  # two proxies of ours
        ("10.0.0.1", "not-an-ip", "10.0.0.1"),
        ("10.0.0.1", None, "10.0.0.1"),
    ],
)
def test_resolve_client(peer: str, header: str | None, expected: str) -> None:
    assert resolve_client(peer, header, ("10.0.0.0/8",)) == expected


def test_failures_are_logged_without_the_password(
    limited: TestClient, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    factory.user()
    with caplog.at_level(logging.INFO, logger="groundswell.auth"):
        login(limited, password="hunter2-very-secret")
    messages = [r.getMessage() for r in caplog.records]
    assert any("login failed" in m and "ana@example.com" in m for m in messages)
    assert not any("hunter2" in m for m in messages)


def _logged_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def _copy(settings_client: TestClient, app: object) -> TestClient:
    other = TestClient(app)  # type: ignore[arg-type]
    other.cookies.set("gs_session", settings_client.cookies["gs_session"])
    return other


def test_logout_invalidates_a_copied_cookie(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    thief = _copy(client, client.app)
    assert _logged_in(thief)
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    assert not _logged_in(client)
    assert not _logged_in(thief)
    assert thief.get("/api/v1/interactions").status_code == 401


@pytest.mark.parametrize("how", ["password", "deactivate", "end_sessions"])
def test_sessions_end_on_password_change_deactivation_and_request(
    client: TestClient, factory: Factory, how: str
) -> None:
    factory.user(email="boss@example.com", role="admin")
    user_id = factory.user(email="ana@example.com", role="agent")
    login(client)
    thief = _copy(client, client.app)
    assert _logged_in(thief)
    with factory.db.session() as s:
        if how == "password":
            change_password(
                s,
                user_id=user_id,
                data=PasswordChange(new_password=NEW_PASSWORD),
                policy=PasswordPolicy(),
                actor=CLI_ACTOR,
                require_current=False,
            )
        elif how == "deactivate":
            update_user(s, user_id=user_id, data=UserUpdate(active=False), actor=CLI_ACTOR)
        else:
            assert end_sessions(s, user_id=user_id, actor=CLI_ACTOR) == 1
    assert not _logged_in(client)
    assert not _logged_in(thief)
    if how == "password":
        assert login(client).status_code == 401
        assert login(client, password=NEW_PASSWORD).status_code == 303


def test_login_twice_gives_two_sessions_and_logout_ends_only_one(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    login(client)
    laptop = TestClient(client.app)
    assert login(laptop).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    assert _logged_in(laptop)
    assert PASSWORD  # the shared test password is accepted by the policy
    PasswordPolicy().check(PASSWORD)


@pytest.mark.redis
def test_counters_are_shared_through_the_brokers_redis(settings: Settings, redis_url: str) -> None:
    """Two server processes on one Redis see each other's failures."""
    from groundswell.web.login_limits import LoginLimiter, storage_url

    shared = small_limits(settings, broker_url=redis_url)
    assert storage_url(shared) == redis_url
    one, two = LoginLimiter(shared), LoginLimiter(shared)
    try:
        for _ in range(3):
            one.failed(account="ana@example.com", address="198.51.100.1")
        verdict = two.check(account="ana@example.com", address="198.51.100.2")
        assert not verdict.allowed and verdict.retry_after_seconds > 0
        two.succeeded(account="ana@example.com")
        assert one.check(account="ana@example.com", address="198.51.100.3").allowed
    finally:
        one.limiter.clear(one.per_address, shared.stream_prefix, "address", "198.51.100.1")


def test_login_is_refused_not_crashed_when_the_counters_are_unreachable(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    limiter = client.app.state.login_throttle  # type: ignore[attr-defined]

    def down(**_: object) -> None:
        raise ConnectionError("redis is down")

    limiter.check = down
    response = login(client)
    assert response.status_code == 503
    assert "unavailable" in response.text


def test_logins_are_in_the_audit_log_and_refused_attempts_add_nothing(
    limited: TestClient, factory: Factory
) -> None:
    from sqlalchemy import select

    from groundswell.auth.models import AuditEntry

    factory.user(email="victim@example.com")
    for _ in range(3):
        assert login(limited, email="Victim@example.com", password="guess").status_code == 401
    for _ in range(4):  # the account is closed now: refused before anything is written
        assert login(limited, email="victim@example.com", password="guess").status_code == 429
    factory.user(email="ana@example.com")
    assert login(limited).status_code == 303
    with factory.db.session() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        seen = [(r.action, r.target, r.actor_id is not None) for r in rows]
        assert all(r.address for r in rows)
    assert seen == [
        *[("login.failed", "victim@example.com", False)] * 3,
        ("login.succeeded", "ana@example.com", True),
    ]
