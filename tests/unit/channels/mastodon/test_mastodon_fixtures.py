"""One test per Mastodon fixture (payloads shaped as docs.joinmastodon.org documents them)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from channels_testing import fixture_names, load_fixture
from groundswell.channels.mastodon.mapping import notification_to_post
from groundswell.channels.mastodon.schemas import ApiError, Notification
from groundswell.ingestion.schemas import InboundPost

TESTED = {
    "notification_mention.json",
    "notification_mention_reply.json",
    "notification_mention_direct.json",
    "notification_favourite.json",
    "notification_follow.json",
    "notification_mention_missing_status_fields.json",
    "error_rate_limited.json",
    "error_unauthorized.json",
}


def post_of(name: str) -> dict[str, object] | None:
    note = Notification.model_validate(load_fixture("mastodon", name))
    return notification_to_post(note, channel="mastodon", instance_host="mastodon.social")


def test_every_fixture_has_a_test() -> None:
    assert set(fixture_names("mastodon")) == TESTED


def test_mention() -> None:
    post = post_of("notification_mention.json")
    assert post is not None
    parsed = InboundPost.model_validate(post)
    assert parsed.external_id == "103186126728896492"
    assert parsed.text == "@acmeair my bag never made it to Lisbon & nobody answers the phone"
    assert parsed.author.external_id == "zsc@mastodon.social"
    assert parsed.author.handle == "@zsc@mastodon.social"
    assert parsed.reply_to_external_id is None
    assert parsed.raw is not None and parsed.raw["notification_id"] == "34975861"
    assert parsed.private is False  # a public mention is public talk


def test_mention_reply_from_another_instance() -> None:
    post = post_of("notification_mention_reply.json")
    assert post is not None
    parsed = InboundPost.model_validate(post)
    assert parsed.author.external_id == "lena@fosstodon.org"
    assert parsed.reply_to_external_id == "103186152233410987"
    assert "it's been two days" in parsed.text


def test_mention_direct() -> None:
    post = post_of("notification_mention_direct.json")
    assert post is not None
    assert post["raw"] == {
        "visibility": "direct",
        "instance": "mastodon.social",
        "notification_id": "34975902",
        "uri": "https://mastodon.social/users/zsc/statuses/103186211847192733",
    }
    assert InboundPost.model_validate(post).private is True  # a direct status is a DM


def test_favourite_is_skipped() -> None:
    assert post_of("notification_favourite.json") is None


def test_follow_is_skipped() -> None:
    assert post_of("notification_follow.json") is None


def test_mention_missing_status_fields_is_refused_with_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        post_of("notification_mention_missing_status_fields.json")
    fields = {".".join(map(str, e["loc"])) for e in err.value.errors()}
    assert {"status.created_at", "status.visibility", "status.account"} <= fields


def test_error_rate_limited() -> None:
    assert ApiError.model_validate(load_fixture("mastodon", "error_rate_limited.json")).error


def test_error_unauthorized() -> None:
    error = ApiError.model_validate(load_fixture("mastodon", "error_unauthorized.json"))
    assert "token" in error.error
