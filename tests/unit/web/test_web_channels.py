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
        audited = [
            (e.actor, e.action, e.target_id)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert audited == [  # admin changes are audited; refused or failed ones are not
        ("ana@example.com", "login.succeeded", audited[0][2]),
        ("ana@example.com", "channel.update", "twitter"),
        ("ana@example.com", "channel.pause", "twitter"),
    ]


def test_agents_cannot_see_channels(client: TestClient, factory: Factory) -> None:
    factory.user(role="agent")
    login(client)
    assert client.get("/channels").status_code == 403
    assert client.get("/api/v1/channels").status_code == 403
    assert 'href="/channels"' not in client.get("/stream").text


def test_refused_credentials_show_on_the_channels_page_and_in_the_inbox(
    client: TestClient, factory: Factory, standin: StandInServer
) -> None:
    factory.user(role="admin")
    login(client)
    token = page_csrf(client, "/channels")
    _connect(client, token, standin.base_url, name="Brand <i>X</i>")
    standin.state.token = "rotated-elsewhere"  # the network no longer accepts ours
    tested = client.post("/channels/twitter/test", data={"csrf_token": token})
    assert "needs re-auth" in tested.text
    table = client.get("/channels/table").text
    assert 'id="reauth-twitter"' in table
    assert "Brand &lt;i&gt;X&lt;/i&gt;</strong> needs re-authentication" in table
    assert "PATCH /api/v1/channels/twitter" in table
    client.post("/channels/twitter/test", data={"csrf_token": token})  # refused again
    inbox = client.get("/inbox").text
    assert inbox.count("needs re-authentication") == 1  # one notice per transition
    assert 'href="/channels"' in inbox

    page = client.get("/channels").text
    assert 'id="credentials-twitter"' in page and 'name="secret_access_token"' in page
    empty = client.post("/channels/twitter/credentials", data={"csrf_token": token})
    assert empty.status_code == 422 and "enter at least one new secret" in empty.text
    too_long = client.post(
        "/channels/twitter/credentials",
        data={"csrf_token": token, "secret_access_token": "x" * 4001},
    )
    assert too_long.status_code == 422 and "access_token: at most 4000" in too_long.text
    saved = client.post(
        "/channels/twitter/credentials",
        data={"csrf_token": token, "secret_access_token": "rotated-elsewhere"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get("/channels").text
    assert 'id="credentials-twitter"' not in page and 'id="reauth-twitter"' not in page
    assert "rotated-elsewhere" not in page
    tested = client.post("/channels/twitter/test", data={"csrf_token": token})
    assert "connected" in tested.text


def test_a_jetstream_url_the_outbound_guard_refuses_is_a_422_naming_it(
    client: TestClient, factory: Factory
) -> None:
    factory.user(role="admin")
    login(client)
    headers = {"X-CSRF-Token": page_csrf(client, "/channels")}
    settings = {
        "identifier": "acme.bsky.social",
        "app_password": "app-pass",
        "jetstream_url": "ws://169.254.169.254/subscribe",
    }
    refused = client.post(
        "/api/v1/channels",
        json={"kind": "bluesky", "name": "b", "settings": settings},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "settings.jetstream_url"
    assert "non-public" in refused.text and "app-pass" not in refused.text
    assert client.get("/api/v1/channels").json() == []


def test_every_kind_shows_example_settings_that_validate(
    client: TestClient, factory: Factory
) -> None:
    from markupsafe import escape

    from groundswell.channels.runtime.kinds import all_kinds

    factory.user(role="admin")
    login(client)
    html = client.get("/channels").text
    kinds = all_kinds()
    assert len(kinds) >= 10
    for kind in kinds:
        assert kind.example, f"{kind.name} has no example settings"
        assert str(escape(json.dumps(kind.example, indent=2))) in html, kind.name
        assert not set(kind.example) & set(kind.secret_fields), kind.name
        secrets = {name: "s" * 40 for name in kind.secret_fields}
        kind.settings.model_validate({**kind.example, **secrets})  # the example is usable


def test_a_webchat_channel_shows_its_one_line_embed_tag(
    client: TestClient, factory: Factory
) -> None:
    factory.user(role="admin")
    login(client)
    token = page_csrf(client, "/channels")
    assert "Web chat widget" in client.get("/channels").text
    created = client.post(
        "/channels",
        data={
            "kind": "webchat",
            "name": "Site chat",
            "key": "",
            "settings_json": json.dumps(
                {"allowed_origins": ["https://shop.example.com/"], "greeting": "Hi <b>you</b>"}
            ),
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    key = client.get("/api/v1/channels").json()[0]["config"]["public_key"]
    html = client.get("/channels/table").text
    assert (
        f'value="&lt;script src=&#34;http://127.0.0.1:8000/widget/chat.js&#34; '
        f'data-channel=&#34;{key}&#34; defer&gt;&lt;/script&gt;"'
    ) in html
    assert "Allowed sites: https://shop.example.com" in html
    site = client.get("/demo/site").text
    assert f'<script src="/widget/chat.js" data-channel="{key}" defer></script>' in site

    bad = client.post(
        "/channels",
        data={
            "kind": "webchat",
            "name": "x",
            "key": "chat2",
            "settings_json": json.dumps({"allowed_origins": ["javascript:alert(1)"]}),
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422 and "settings.allowed_origins" in bad.text
