"""The open networks' kinds: listed, validated with the field named, secrets kept apart."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from groundswell.channels.base import Reply, SendError
from groundswell.channels.runtime import service
from groundswell.channels.runtime.bootstrap import build_account
from groundswell.channels.runtime.kinds import all_kinds
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.db import Database
from groundswell.settings import Settings

VALID: dict[str, dict[str, Any]] = {
    "mastodon": {"base_url": "https://mastodon.example", "access_token": "tok-m"},
    "bluesky": {"identifier": "acme.bsky.social", "app_password": "tok-b"},
    "reddit": {
        "client_id": "app",
        "username": "acme",
        "client_secret": "tok-r1",
        "password": "tok-r2",
        "subreddits": ["r/acmeair"],
    },
    "feed": {"url": "https://reviews.example/feed.xml"},
    "sms": {
        "account_sid": "AC" + "0" * 32,
        "from_number": "+15005550006",
        "webhook_url": "https://crm.example/api/v1/webhooks/sms",
        "auth_token": "tok-s",
    },
    "webhook": {"secret": "tok-w-long-enough-secret"},
    "meta": {
        "network": "instagram",
        "verify_token": "tok-verify",
        "app_secret": "tok-a",
        "page_access_token": "tok-p",
    },
    "youtube": {"channel_id": "UCacme", "access_token": "tok-y"},
}


def test_every_open_network_is_a_kind_with_declared_secrets() -> None:
    kinds = {k.name: k for k in all_kinds()}
    assert set(VALID) <= set(kinds)
    for name, values in VALID.items():
        secrets = set(kinds[name].secret_fields)
        assert secrets == {k for k, v in values.items() if str(v).startswith("tok-")}, name


@pytest.mark.parametrize("kind", sorted(VALID))
def test_connect_keeps_secrets_out_of_config_and_builds(
    db: Database, settings: Settings, kind: str
) -> None:
    key = f"{kind}-acct"
    with db.session() as s:
        out = service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind=kind, key=key, name=kind, settings=VALID[kind]),
        )
        assert out.kind == kind and sorted(out.secrets_set) == sorted(
            k for k, v in VALID[kind].items() if str(v).startswith("tok-")
        )
        assert "tok-" not in out.model_dump_json()
        row = s.scalar(sa.select(ChannelAccount).where(ChannelAccount.key == key))
        assert row is not None and "tok-" not in str(row.config)
        built = build_account(row, settings)
    try:
        assert built.connector.key == key
        hook = built.webhook
        assert (hook is not None) == (kind in {"sms", "webhook", "meta"})
        assert hook is None or hook.key == key
        assert bool(built.sources) == (kind not in {"sms", "webhook", "meta"})
    finally:
        built.close()


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("sms", {"account_sid": "XX123"}, "settings.account_sid"),
        ("sms", {"from_number": "555"}, "settings.from_number"),
        ("mastodon", {"base_url": "not a url"}, "settings.base_url"),
        ("webhook", {"secret": "short"}, "settings.secret"),
        ("meta", {"network": "myspace"}, "settings.network"),
        ("youtube", {"channel_id": "UC/../x"}, "settings.channel_id"),
        ("reddit", {"subreddits": ["a"] * 51}, "settings.subreddits"),
        ("feed", {"poll_seconds": 1}, "settings.poll_seconds"),
        ("bluesky", {"unknown": 1}, "settings.unknown"),
    ],
)
def test_bad_settings_name_the_field(
    db: Database, settings: Settings, kind: str, change: dict[str, Any], field: str
) -> None:
    with db.session() as s, pytest.raises(service.AccountInvalid) as err:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind=kind, name=kind, settings={**VALID[kind], **change}),
        )
    assert err.value.field == field


def test_a_read_only_channel_refuses_a_reply_with_a_reason(
    db: Database, settings: Settings
) -> None:
    with db.session() as s:
        service.create_account(
            s, settings=settings, data=AccountIn(kind="feed", name="f", settings=VALID["feed"])
        )
        row = s.scalar(sa.select(ChannelAccount))
        assert row is not None
        built = build_account(row, settings)
    with pytest.raises(SendError) as err:
        built.connector.send_reply(Reply(channel="reviews", text="hi", idempotency_key="k"))
    assert not err.value.retryable and "feed" in err.value.reason
    built.close()
