"""One test per Bluesky fixture (shapes of the app.bsky and com.atproto lexicons)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from channels_testing import fixture_names, load_fixture
from groundswell.channels.bluesky.mapping import POST_REASONS, to_post
from groundswell.channels.bluesky.schemas import Notification, PostRecord, PostView, XrpcError
from groundswell.ingestion.schemas import InboundPost

TESTED = {
    "notification_mention.json",
    "notification_reply.json",
    "notification_like.json",
    "notification_malformed_record.json",
    "search_posts_page.json",
    "error_rate_limited.json",
    "error_expired_token.json",
}


def from_notification(name: str) -> InboundPost | None:
    note = Notification.model_validate(load_fixture("bluesky", name))
    if note.reason not in POST_REASONS:
        return None
    record = PostRecord.model_validate(note.record)
    post = to_post(
        channel="bluesky",
        uri=note.uri,
        cid=note.cid,
        author=note.author,
        record=record,
        indexed_at=note.indexed_at,
        reason=note.reason,
    )
    return InboundPost.model_validate(post)


def test_every_fixture_has_a_test() -> None:
    names = {n for n in fixture_names("bluesky") if not n.startswith("jetstream_")}
    assert names == TESTED  # Jetstream's own: test_jetstream_fixtures.py


def test_notification_mention() -> None:
    post = from_notification("notification_mention.json")
    assert post is not None
    assert post.external_id.startswith("at://did:plc:z72i7hdynmk6r22z27h6tvur/")
    assert post.author.external_id == "did:plc:z72i7hdynmk6r22z27h6tvur"
    assert post.author.handle == "@ana.bsky.social"
    assert post.url == "https://bsky.app/profile/ana.bsky.social/post/3lbqi2fmkyk2a"
    assert post.reply_to_external_id is None


def test_notification_reply_keeps_parent_and_root() -> None:
    post = from_notification("notification_reply.json")
    assert post is not None and post.raw is not None
    assert post.reply_to_external_id == (
        "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbqhs2a7yc2s"
    )
    assert post.raw["reply_root"].endswith("/3lbqhq6vxfs2j")
    assert post.text.endswith("🙏")


def test_notification_like_is_skipped() -> None:
    assert from_notification("notification_like.json") is None


def test_notification_malformed_record_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        from_notification("notification_malformed_record.json")
    assert err.value.errors()[0]["loc"] == ("createdAt",)


def test_search_posts_page() -> None:
    page = load_fixture("bluesky", "search_posts_page.json")
    view = PostView.model_validate(page["posts"][0])
    assert page["cursor"] == "25"
    post = to_post(
        channel="bluesky",
        uri=view.uri,
        cid=view.cid,
        author=view.author,
        record=view.record,
        indexed_at=view.indexed_at,
        counts=(view.like_count, view.repost_count, view.reply_count),
    )
    parsed = InboundPost.model_validate(post)
    assert parsed.engagement.likes == 7 and parsed.engagement.shares == 1
    assert parsed.author.handle == "@joao.pt"


def test_error_rate_limited() -> None:
    assert XrpcError.model_validate(load_fixture("bluesky", "error_rate_limited.json")).error == (
        "RateLimitExceeded"
    )


def test_error_expired_token() -> None:
    error = XrpcError.model_validate(load_fixture("bluesky", "error_expired_token.json"))
    assert error.error == "ExpiredToken"
