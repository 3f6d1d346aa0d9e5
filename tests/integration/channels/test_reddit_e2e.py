"""Reddit end to end against the stand-in over real HTTP (OAuth, listings, /api/comment)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels_testing import PipelineHarness
from groundswell.channels.base import Connector, Reply, SendError, Source
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.reddit.connector import RedditConfig, RedditConnector
from groundswell.channels.reddit.standin import RedditStandin
from gs_testing import migrated_sqlite_url


@pytest.fixture
def standin() -> Iterator[RedditStandin]:
    with RedditStandin() as server:
        yield server  # type: ignore[misc]


def make(standin: RedditStandin, password: str | None = None) -> RedditConnector:
    return RedditConnector(
        RedditConfig(
            client_id=standin.client_id,
            client_secret=standin.client_secret,
            username=standin.username,
            password=password or standin.password,
            subreddits=("acmeair",),
            oauth_url=standin.url,
            reddit_url=standin.url,
        )
    )


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[PipelineHarness]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url)
    yield harness
    harness.close()


def test_implements_the_protocol(standin: RedditStandin) -> None:
    connector = make(standin)
    assert isinstance(connector, Connector) and isinstance(connector, Source)


def test_submissions_and_comments_stored_in_one_thread(
    standin: RedditStandin, pipeline: PipelineHarness
) -> None:
    link = standin.submission("acmeair", "ana", "Lost bag", "two days now")
    first = standin.comment(link, "bo", "same here")
    standin.comment(first, "ana", "did they answer you?")
    page = make(standin).fetch(None)
    assert pipeline.store(page.posts) == 3
    rows = {r.text: r for r in pipeline.interactions()}
    nested = rows["did they answer you?"]
    assert nested.reply_to_external_id == first["data"]["name"]
    assert nested.conversation_id == rows["Lost bag\n\ntwo days now"].conversation_id
    assert pipeline.identity_of(nested).handle == "u/ana"


def test_restart_from_cursor_without_loss_or_duplicates(
    standin: RedditStandin, pipeline: PipelineHarness
) -> None:
    link = standin.submission("acmeair", "ana", "Delays", "")
    for i in range(20):
        standin.comment(link, f"user{i}", f"comment {i}")
    first = make(standin).fetch(None)
    pipeline.store(first.posts)
    for i in range(20, 260):  # more than two pages of 100
        standin.comment(link, f"user{i}", f"comment {i}")
    restarted = make(standin)
    page = restarted.fetch(first.cursor)
    pipeline.store(page.posts)
    pipeline.store(restarted.fetch(first.cursor).posts)  # crash before the cursor was saved
    assert restarted.fetch(page.cursor).posts == []
    texts = [r.text for r in pipeline.interactions()]
    assert len(texts) == len(set(texts)) == 261


def test_reply_is_the_api_comment_request_reddit_expects(standin: RedditStandin) -> None:
    link = standin.submission("acmeair", "ana", "Lost bag", "")
    comment = standin.comment(link, "bo", "me too")
    connector = make(standin)
    reply = Reply(
        channel="reddit",
        text="Sorry, we sent you a DM.",
        idempotency_key="r1",
        in_reply_to_external_id=comment["data"]["name"],
    )
    result = connector.send_reply(reply)
    sent = standin.requests_to("POST", "/api/comment/")
    assert len(sent) == 1
    assert sent[0].header("Authorization") == "bearer tok-1"
    assert sent[0].form() == {
        "api_type": ["json"],
        "text": ["Sorry, we sent you a DM."],
        "thing_id": [comment["data"]["name"]],
    }
    assert connector.lookup_sent(reply) == result
    # Our own reply comes back in the comments listing as an outbound post.
    mine = [p for p in connector.fetch(None).posts if p["external_id"] == result.external_id]
    assert mine and mine[0]["direction"] == "out"


def test_failures_never_raise(standin: RedditStandin) -> None:
    standin.submission("acmeair", "ana", "ok", "")
    standin.things.append({"kind": "t3", "data": {"id": "zz", "subreddit": "acmeair"}})
    connector = make(standin)
    page = connector.fetch(None)
    assert len(page.posts) == 1
    assert "name" in page.rejected[0].reason
    standin.rate_limited = 1
    with pytest.raises(SourceError) as limited:
        connector.fetch(page.cursor)
    assert limited.value.retry_after == standin.retry_after
    with pytest.raises(NeedsReauth, match="needs re-auth"):
        make(standin, password="wrong").fetch(None)
    with pytest.raises(SendError) as err:
        connector.send_reply(
            Reply(
                channel="reddit", text="x", idempotency_key="k", in_reply_to_external_id="t1_nope"
            )
        )
    assert not err.value.retryable and "INVALID_THING_ID" in err.value.reason
