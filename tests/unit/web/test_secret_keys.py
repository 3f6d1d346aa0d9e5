"""Defect 1: sessions and webhook signatures never rest on a public key.

Before the fix the server started in production with the default key, and a cookie
signed with that key (printed in the source) was an admin session.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import itsdangerous
import pytest
from fastapi.testclient import TestClient
from gs_webtest import Factory

from groundswell.app import create_app
from groundswell.core.instance_keys import (
    InsecureConfigurationError,
    load_or_create_secrets,
    resolve_keys,
)
from groundswell.notify.senders import DeliveryConfig
from groundswell.settings import DEV_SECRET, Settings

STRONG = "k" * 40


def forged_cookie(secret: str, payload: dict[str, object]) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it."""
    data = base64.b64encode(json.dumps(payload).encode("utf-8"))
    return itsdangerous.TimestampSigner(secret).sign(data).decode("utf-8")


def with_(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


@pytest.mark.parametrize(
    ("secret_key", "webhook_secret", "named"),
    [
        (DEV_SECRET, STRONG, "GROUNDSWELL_SECRET_KEY is not set"),
        ("short-but-not-default", STRONG, "GROUNDSWELL_SECRET_KEY is 21 characters"),
        (STRONG, DEV_SECRET, "GROUNDSWELL_WEBHOOK_SECRET is not set"),
        (STRONG, "x" * 31, "GROUNDSWELL_WEBHOOK_SECRET is 31 characters"),
    ],
)
def test_production_refuses_public_or_short_keys(
    settings: Settings, secret_key: str, webhook_secret: str, named: str
) -> None:
    from pydantic import SecretStr

    prod = with_(
        settings,
        environment="production",
        secret_key=SecretStr(secret_key),
        webhook_secret=SecretStr(webhook_secret),
    )
    with pytest.raises(InsecureConfigurationError, match=named):
        create_app(prod, embedded_worker=False)
    with pytest.raises(InsecureConfigurationError, match=named):
        DeliveryConfig.from_settings(prod)


def test_production_uses_the_configured_keys(settings: Settings) -> None:
    from pydantic import SecretStr

    prod = with_(
        settings,
        environment="production",
        secret_key=SecretStr(STRONG),
        webhook_secret=SecretStr("w" * 40),
    )
    keys = resolve_keys(prod)
    assert keys.session_key == STRONG
    assert keys.webhook_key == b"w" * 40
    assert STRONG not in repr(keys)


def test_development_generates_a_private_key_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "data" / "keys.json"
    dev = with_(settings, environment="development", secrets_file=str(path))
    first = resolve_keys(dev)
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.session_key != DEV_SECRET
    assert len(first.session_key) >= 32
    assert first.webhook_key not in (DEV_SECRET.encode(), first.session_key.encode())
    assert resolve_keys(dev) == first  # kept: sessions survive a restart
    assert DeliveryConfig.from_settings(dev).webhook_secret == first.webhook_key


def test_development_key_sits_next_to_the_sqlite_database(tmp_path: Path) -> None:
    dev = Settings(
        database_url=f"sqlite:///{tmp_path / 'gs.db'}",
        environment="development",
        _env_file=None,  # type: ignore[call-arg]
    )
    resolve_keys(dev)
    assert stat.S_IMODE((tmp_path / "groundswell-secrets.json").stat().st_mode) == 0o600


def test_a_readable_key_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    keys = load_or_create_secrets(path)
    path.chmod(0o644)
    assert load_or_create_secrets(path) == keys
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_damaged_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"secret_key": "short"}')
    with pytest.raises(InsecureConfigurationError, match="delete it"):
        load_or_create_secrets(path)


def test_cookie_signed_with_the_public_default_is_no_session(
    settings: Settings, factory: Factory
) -> None:
    admin_id = factory.user(role="admin")
    app = create_app(settings, embedded_worker=False)
    with TestClient(app) as client:
        client.cookies.set("gs_session", forged_cookie(DEV_SECRET, {"user_id": admin_id}))
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.get("/api/v1/interactions").status_code == 401


def test_cookie_with_the_real_key_but_no_live_session_is_no_session(
    settings: Settings, factory: Factory
) -> None:
    """Even someone who learns the key cannot mint a session: it must exist server-side."""
    admin_id = factory.user(role="admin")
    app = create_app(settings, embedded_worker=False)
    key = resolve_keys(settings).session_key
    with TestClient(app) as client:
        forged = forged_cookie(key, {"user_id": admin_id, "sid": "made-up"})
        client.cookies.set("gs_session", forged)
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.get("/api/v1/interactions").status_code == 401
