"""The channels page and API: connect, status, test, pause; secrets never shown; admins only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from sqlalchemy import select

from groundswell.auth.models import AuditEntry
from groundswell.channels.x.standin import StandInServer, StandInState

SECRET = "tok-very-secret-987"


@pytest.fixture
def standin() -> Iterator[StandInServer]:
    server = StandInServer(StandInState(token=SECRET)).start()
    yield server
    server.stop()


def _connect(client: TestClient, token: str, base_url: str, name: str = "Brand on X") -> object:
    settings = {
        "user_id": "1000",
        "username": "groundswell_co",
        "base_url": base_url,
        "standin": True,
    }
    return client.post(
        "/channels",
        data={
            "kind": "x",
            "name": name,
            "key": "",
            "settings_json": json.dumps(settings),
            "secret_x_access_token": SECRET,
            "csrf_token": token,
        },
        follow_redirects=False,
    )


def test_admin_connects_tests_and_pauses_a_channel(
    client: TestClient, factory: Factory, standin: StandInServer
) -> None:
    factory.user(role="admin")
    login(client)
    token = page_csrf(client, "/channels")
    created = _connect(client, token, standin.base_url, name="<b>Brand</b> on X")
    assert created.status_code == 303  # type: ignore[attr-defined]
    html = client.get("/channels").text
    assert 'id="channel-twitter"' in html
    assert "&lt;b&gt;Brand&lt;/b&gt; on X" in html  # escaped
    assert "local stand-in" in html
    assert "secrets set: access_token" in html
    assert SECRET not in html
    assert 'href="/channels"' in html  # nav entry for admins

    tested = client.post("/channels/twitter/test", data={"csrf_token": token})
    assert tested.status_code == 200
    assert "connected" in tested.text and "@groundswell_co" in tested.text

    client.post("/channels/twitter/pause", data={"csrf_token": token})
    assert "paused by an admin" in client.get("/channels/table").text
    client.post("/channels/twitter/resume", data={"csrf_token": token})
    assert "Resume</button>" not in client.get("/channels/table").text

    api = client.get("/api/v1/channels").json()
    assert api[0]["key"] == "twitter" and api[0]["secrets_set"] == ["access_token"]
    assert SECRET not in json.dumps(api)


def test_bad_settings_are_refused_naming_the_field(client: TestClient, factory: Factory) -> None:
    factory.user(role="admin")
    login(client)
    token = page_csrf(client, "/channels")
    refused = client.post(
        "/channels",
        data={
            "kind": "x",
            "name": "X",
            "settings_json": '{"user_id": "not digits"}',
            "secret_x_access_token": "t",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert "settings.user_id" in refused.text
    broken = client.post(
        "/channels",
        data={"kind": "x", "name": "X", "settings_json": "{not json", "csrf_token": token},
    )
    assert broken.status_code == 422 and "settings:" in broken.text


def test_api_keeps_a_secret_left_out_and_refuses_non_admins(
    client: TestClient, factory: Factory, standin: StandInServer
) -> None:
    factory.user(role="admin")
    login(client)
    token = page_csrf(client, "/channels")
    _connect(client, token, standin.base_url)
    headers = {"X-CSRF-Token": token}
    patched = client.patch(
        "/api/v1/channels/twitter", json={"settings": {"username": "renamed"}}, headers=headers
    )
    assert patched.status_code == 200
    assert patched.json()["config"]["username"] == "renamed"
    assert client.post("/api/v1/channels/twitter/test", headers=headers).json()["ok"] is True
    bad = client.post(
        "/api/v1/channels",
        json={"kind": "email", "name": "m", "settings": {"address": "nope"}},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "settings.address"
    assert client.get("/api/v1/channels/missing").status_code == 404
    assert client.post("/api/v1/channels/missing/pause", headers=headers).status_code == 404
    assert client.post("/api/v1/channels/twitter/pause", headers=headers).status_code == 200
    with factory.db.session() as s:
        audited = [(e.actor, e.action, e.target_id) for e in s.scalars(select(AuditEntry))]
    assert audited == [  # admin changes are audited; refused or failed ones are not
        ("ana@example.com", "channel.update", "twitter"),
        ("ana@example.com", "channel.pause", "twitter"),
    ]


def test_agents_cannot_see_channels(client: TestClient, factory: Factory) -> None:
    factory.user(role="agent")
    login(client)
    assert client.get("/channels").status_code == 403
    assert client.get("/api/v1/channels").status_code == 403
    assert 'href="/channels"' not in client.get("/stream").text
