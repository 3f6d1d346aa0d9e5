"""Every URL a connector opens passes the outbound guard when an admin saves it.

Each kind lists its URL settings in ``Kind.outbound_fields``; a URL to a non-public
address is refused with the field named unless the admin allowed the host.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from groundswell.channels.runtime import service
from groundswell.channels.runtime.kinds import get_kind
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from gs_testing import make_settings, migrated_sqlite_url

INTERNAL = "http://169.254.169.254/latest"
CASES = [
    ("mastodon", "base_url", {"access_token": "t", "hashtags": ["acme"]}),
    ("bluesky", "base_url", {"identifier": "acme.bsky.social", "app_password": "p"}),
    (
        "reddit",
        "oauth_url",
        {"client_id": "c", "client_secret": "s", "username": "u", "password": "p"},
    ),
    ("feed", "url", {}),
    ("youtube", "api_base", {"access_token": "t", "channel_id": "UC0123456789012345678901"}),
    ("x", "base_url", {"user_id": "1", "username": "acme", "access_token": "t"}),
]


def test_every_network_kind_lists_its_urls() -> None:
    for key in ("mastodon", "bluesky", "reddit", "feed", "sms", "meta", "youtube", "x"):
        assert get_kind(key).outbound_fields, key


@pytest.mark.parametrize(("kind", "field", "rest"), CASES)
def test_an_internal_url_is_refused_naming_the_field_and_an_allowed_host_is_saved(
    tmp_path: Path, kind: str, field: str, rest: dict[str, object]
) -> None:
    settings = make_settings(migrated_sqlite_url(tmp_path / "gs.db"), outbound_allow_hosts="")
    db = Database(settings)
    values = {**get_kind(kind).example, **rest, field: INTERNAL}
    with db.session() as s, pytest.raises(service.AccountInvalid) as err:
        service.create_account(
            s, settings=settings, data=AccountIn(kind=kind, name="N", settings=values)
        )
    assert err.value.field == f"settings.{field}"
    assert "non-public" in str(err.value)
    with db.session() as s:
        saved = service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind=kind, name="N", settings=values),
            policy=OutboundPolicy.from_setting("169.254.169.254"),
        )
    assert saved.kind == kind
    db.dispose()
