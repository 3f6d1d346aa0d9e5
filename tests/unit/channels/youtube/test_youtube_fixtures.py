"""One test per YouTube Data API fixture (commentThreads.list, comments.insert, errors)."""

from __future__ import annotations

import httpx
import pytest

from channels_testing import fixture_names, load_fixture
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.youtube.connector import YouTubeConfig, YouTubeConnector
from groundswell.channels.youtube.schemas import ApiError, Comment
from groundswell.ingestion.schemas import InboundPost

TESTED = {
    "comment_threads_page.json",
    "comment_threads_malformed_item.json",
    "comment_inserted.json",
    "error_quota_exceeded.json",
    "error_auth.json",
}


def answering(name: str, status: int = 200) -> YouTubeConnector:
    """A connector whose HTTP client answers every request with one fixture."""
    body = load_fixture("youtube", name)
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    client = httpx.Client(transport=transport, base_url="https://yt.test/youtube/v3")
    return YouTubeConnector(YouTubeConfig(channel_id="UCx", access_token="t"), client=client)


def test_every_fixture_has_a_test() -> None:
    assert set(fixture_names("youtube")) == TESTED


def test_comment_threads_page() -> None:
    page = answering("comment_threads_page.json").fetch(None)
    posts = [InboundPost.model_validate(p) for p in page.posts]
    top, reply = posts
    assert (
        top.external_id == "UgzKx8a2yG1mZq8N3Bx4AaABAg"
        and top.reply_to_external_id == "Xq9pTb2kLmE"
    )
    assert top.text == "The new app update deleted my saved cards & trips 😤"
    assert (
        top.author.external_id == "UCm4rt4vl0gs00000000000a" and top.author.handle == "@marta.vlogs"
    )
    assert reply.reply_to_external_id == top.external_id
    assert page.cursor and "2026-11-20T07:55:10.000Z" in page.cursor


def test_comment_threads_malformed_item() -> None:
    page = answering("comment_threads_malformed_item.json").fetch(None)
    assert page.posts == [] and page.rejected[0].ref == "youtube:UgzBroken"


def test_comment_inserted() -> None:
    comment = Comment.model_validate(load_fixture("youtube", "comment_inserted.json"))
    assert comment.snippet.parent_id == "UgzKx8a2yG1mZq8N3Bx4AaABAg"


def test_error_quota_exceeded() -> None:
    with pytest.raises(SourceError) as limited:
        answering("error_quota_exceeded.json", status=403).fetch(None)
    assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 86_400
    error = ApiError.model_validate(load_fixture("youtube", "error_quota_exceeded.json")["error"])
    assert error.errors[0].reason == "quotaExceeded"


def test_error_auth() -> None:
    with pytest.raises(NeedsReauth, match="needs re-auth"):
        answering("error_auth.json", status=401).fetch("not json")
