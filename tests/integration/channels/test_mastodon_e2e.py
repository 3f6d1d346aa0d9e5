"""Mastodon end to end against the stand-in over real HTTP (REST and server-sent events)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels_testing import PipelineHarness
from groundswell.channels.base import Connector, Reply, SendError, Source
from groundswell.channels.common.results import Polled
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.mastodon.connector import MastodonConfig, MastodonConnector
from groundswell.channels.mastodon.standin import MastodonStandin
from groundswell.channels.mastodon.stream import STREAM_PATH, stream
from gs_testing import migrated_sqlite_url


@pytest.fixture
def standin() -> Iterator[MastodonStandin]:
    with MastodonStandin() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def connector(standin: MastodonStandin) -> MastodonConnector:
    return MastodonConnector(MastodonConfig(base_url=standin.url, access_token=standin.token))


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[PipelineHarness]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url)
    yield harness
    harness.close()


def test_implements_the_protocol(connector: MastodonConnector) -> None:
    assert isinstance(connector, Connector)
    assert isinstance(connector, Source)


def test_mentions_are_stored_with_identity_and_thread(
    standin: MastodonStandin, connector: MastodonConnector, pipeline: PipelineHarness
) -> None:
    first = standin.mention("ana", "lost my bag")
    standin.mention("ana", "still nothing", in_reply_to_id=first["status"]["id"])
    standin.mention("bo", "great crew", remote="fosstodon.org")
    page = connector.fetch(None)
    assert not page.rejected
    assert pipeline.store(page.posts) == 3
    rows = pipeline.interactions()
    by_text = {r.text.split(" ", 1)[1]: r for r in rows}
    assert by_text["still nothing"].reply_to_external_id == first["status"]["id"]
    assert by_text["still nothing"].conversation_id == by_text["lost my bag"].conversation_id
    assert pipeline.identity_of(by_text["great crew"]).external_id == "bo@fosstodon.org"
    assert pipeline.identity_of(by_text["lost my bag"]).handle == f"@ana@{standin.url[7:]}"


def test_restart_from_saved_cursor_loses_and_duplicates_nothing(
    standin: MastodonStandin, pipeline: PipelineHarness
) -> None:
    config = MastodonConfig(base_url=standin.url, access_token=standin.token)
    for i in range(50):
        standin.mention("ana", f"message {i}")
    first = MastodonConnector(config).fetch(None)
    assert len(first.posts) == 40  # the newest page on a first run
    saved = first.cursor
    pipeline.store(first.posts)
    for i in range(50, 95):
        standin.mention("ana", f"message {i}")
    # A new process (restart) resumes from the saved cursor, page by page.
    restarted = MastodonConnector(config)
    cursor = saved
    while True:
        page = restarted.fetch(cursor)
        pipeline.store(page.posts)
        if page.cursor == cursor:
            break
        cursor = page.cursor
    # Crash before the cursor was saved: the same page read twice is absorbed.
    pipeline.store(restarted.fetch(saved).posts)
    texts = [r.text for r in pipeline.interactions()]
    assert len(texts) == len(set(texts)) == 40 + 45
    assert {f"@brand message {i}" for i in range(10, 95)} == set(texts)


def test_reply_reaches_the_instance_as_mastodon_expects(
    standin: MastodonStandin, connector: MastodonConnector
) -> None:
    note = standin.mention("ana", "where is my bag?")
    reply = Reply(
        channel="mastodon",
        text="We are tracing it now, sorry Ana.",
        idempotency_key="reply-42",
        in_reply_to_external_id=note["status"]["id"],
    )
    result = connector.send_reply(reply)
    sent = standin.requests_to("POST", "/api/v1/statuses")
    assert len(sent) == 1
    assert sent[0].header("Idempotency-Key") == "reply-42"
    assert sent[0].header("Authorization") == f"Bearer {standin.token}"
    form = sent[0].form()
    assert form["status"] == ["We are tracing it now, sorry Ana."]
    assert form["in_reply_to_id"] == [note["status"]["id"]]
    assert form["visibility"] == ["public"]
    # A retry with the same key returns the same status; lookup finds it without posting.
    assert connector.send_reply(reply).external_id == result.external_id
    assert connector.lookup_sent(reply) == result
    assert len(standin.statuses) == 2


def test_direct_message_reply(standin: MastodonStandin, connector: MastodonConnector) -> None:
    note = standin.mention("ana", "booking QX7PLM", visibility="direct")
    connector.send_reply(
        Reply(
            channel="mastodon",
            text="Found it, rebooked.",
            idempotency_key="dm-1",
            visibility="private",
            recipient="ana",
            in_reply_to_external_id=note["status"]["id"],
        )
    )
    form = standin.requests_to("POST", "/api/v1/statuses")[0].form()
    assert form["visibility"] == ["direct"]
    assert form["status"] == ["@ana Found it, rebooked."]


def test_refusals_and_failures_never_raise(
    standin: MastodonStandin, connector: MastodonConnector
) -> None:
    standin.mention("ana", "fine")
    standin.notifications.append({"id": "999999", "type": "mention", "status": {"id": "x"}})
    page = connector.fetch(None)
    assert len(page.posts) == 1
    assert [r.ref for r in page.rejected] == ["mastodon:notification:999999"]
    assert "created_at" in page.rejected[0].reason
    standin.rate_limited = 1
    with pytest.raises(SourceError) as limited:
        connector.fetch(page.cursor)
    assert limited.value.retry_after and limited.value.retry_after > 0
    standin.rate_limited = 1
    with pytest.raises(SendError) as err:
        connector.send_reply(Reply(channel="mastodon", text="hi", idempotency_key="k"))
    assert err.value.retryable
    bad = MastodonConnector(MastodonConfig(base_url=standin.url, access_token="wrong"))
    with pytest.raises(NeedsReauth, match="needs re-auth"):
        bad.fetch(None)
    with pytest.raises(SendError) as err:
        connector.send_reply(Reply(channel="mastodon", text="x" * 501, idempotency_key="k2"))
    assert not err.value.retryable


def test_stream_catches_up_then_follows_live_events(
    standin: MastodonStandin, connector: MastodonConnector, pipeline: PipelineHarness
) -> None:
    standin.mention("ana", "before the stream")
    stop = threading.Event()
    pages: list[Polled] = []

    def feed() -> None:
        # Push only once the stream is open (the catch-up would read them otherwise).
        while not standin.requests_to("GET", STREAM_PATH):
            stop.wait(0.01)
        standin.mention("bo", "live one", push=True)
        standin.push_raw("notification", "{not json")
        standin.push_raw("update", "{}")
        standin.mention("cy", "live two", push=True)
        standin.end_stream()

    iterator = stream(connector, None, stop=stop, read_timeout=10)
    pages.append(next(iterator))  # catch-up page
    threading.Thread(target=feed, daemon=True).start()
    pages.extend(iterator)
    posts = [p for page in pages for p in page.posts]
    assert [p["text"] for p in posts] == [
        "@brand before the stream",
        "@brand live one",
        "@brand live two",
    ]
    refusals = [r for page in pages for r in page.rejected]
    assert len(refusals) == 1 and refusals[0].reason.startswith("malformed JSON")
    last = pages[-1].cursor
    assert last is not None and standin.notifications[-1]["id"] in last
    pipeline.store(posts)
    # Reconnect from the last cursor: the catch-up finds nothing new.
    again = next(stream(connector, last, stop=stop))
    assert again.posts == []
