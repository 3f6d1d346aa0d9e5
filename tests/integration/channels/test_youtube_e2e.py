"""YouTube end to end against the Data API stand-in over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels_testing import PipelineHarness
from groundswell.channels.base import Connector, Reply, SendError, Source
from groundswell.channels.errors import SourceError
from groundswell.channels.youtube.connector import YouTubeConfig, YouTubeConnector
from groundswell.channels.youtube.standin import YouTubeStandin
from gs_testing import migrated_sqlite_url


@pytest.fixture
def standin() -> Iterator[YouTubeStandin]:
    with YouTubeStandin() as server:
        yield server  # type: ignore[misc]


def make(standin: YouTubeStandin) -> YouTubeConnector:
    return YouTubeConnector(
        YouTubeConfig(
            channel_id=standin.channel_id, access_token=standin.token, api_base=standin.url
        )
    )


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[PipelineHarness]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url)
    yield harness
    harness.close()


def test_threads_resume_and_replies_go_out(
    standin: YouTubeStandin, pipeline: PipelineHarness
) -> None:
    connector = make(standin)
    assert isinstance(connector, Connector) and isinstance(connector, Source)
    for i in range(30):
        standin.comment(f"viewer{i}", f"comment {i}")
    first = connector.fetch(None)
    pipeline.store(first.posts)
    for i in range(30, 260):
        standin.comment(f"viewer{i}", f"comment {i}")
    page = make(standin).fetch(first.cursor)  # a restarted process
    pipeline.store(page.posts)
    pipeline.store(make(standin).fetch(first.cursor).posts)  # crash before saving
    assert make(standin).fetch(page.cursor).posts == []
    texts = [r.text for r in pipeline.interactions()]
    assert len(texts) == len(set(texts)) == 260
    target = standin.threads[-1]["id"]
    result = connector.send_reply(
        Reply(
            channel="youtube",
            text="Thanks for watching!",
            idempotency_key="y1",
            in_reply_to_external_id=target,
        )
    )
    (request,) = standin.requests_to("POST", "/youtube/v3/comments")
    assert request.arg("part") == "snippet"
    assert request.json() == {
        "snippet": {"parentId": target, "textOriginal": "Thanks for watching!"}
    }
    assert result.external_id == standin.inserted[0]["id"]
    standin.quota_exceeded = True
    with pytest.raises(SendError) as err:
        connector.send_reply(
            Reply(channel="youtube", text="x", idempotency_key="y2", in_reply_to_external_id=target)
        )
    assert err.value.retryable and err.value.reason.startswith("quota")
    with pytest.raises(SourceError) as limited:
        connector.fetch(page.cursor)
    assert limited.value.retry_after
