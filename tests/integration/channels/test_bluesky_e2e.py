"""Bluesky end to end against the PDS stand-in over real HTTP (XRPC)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels_testing import PipelineHarness
from groundswell.channels.base import Connector, Reply, SendError, Source
from groundswell.channels.bluesky.connector import BlueskyConfig, BlueskyConnector
from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.errors import NeedsReauth, SourceError
from gs_testing import migrated_sqlite_url


@pytest.fixture
def standin() -> Iterator[BlueskyStandin]:
    with BlueskyStandin() as server:
        yield server  # type: ignore[misc]


def make(standin: BlueskyStandin, **kw: object) -> BlueskyConnector:
    config = BlueskyConfig(
        base_url=standin.url,
        identifier=standin.account_handle,
        app_password=standin.password,
        **kw,  # type: ignore[arg-type]
    )
    return BlueskyConnector(config)


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[PipelineHarness]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url)
    yield harness
    harness.close()


def test_implements_the_protocol(standin: BlueskyStandin) -> None:
    connector = make(standin)
    assert isinstance(connector, Connector) and isinstance(connector, Source)


def test_mentions_and_replies_stored_in_their_thread(
    standin: BlueskyStandin, pipeline: PipelineHarness
) -> None:
    first = standin.post("ana.bsky.social", "@acme my flight was cancelled")
    standin.post("ana.bsky.social", "@acme still no answer", reply_to=first["uri"])
    standin.post("bo.bsky.social", "@acme thanks!", reason="mention")
    standin.post("cy.bsky.social", "liked", reason="like")
    page = make(standin).fetch(None)
    assert page.ignored == 1 and not page.rejected
    assert pipeline.store(page.posts) == 3
    rows = {r.text: r for r in pipeline.interactions()}
    child = rows["@acme still no answer"]
    assert child.reply_to_external_id == first["uri"]
    assert child.conversation_id == rows["@acme my flight was cancelled"].conversation_id
    identity = pipeline.identity_of(child)
    assert identity.external_id == first["author"]["did"]
    assert identity.handle == "@ana.bsky.social"


def test_restart_from_cursor_across_pages_without_loss_or_duplicates(
    standin: BlueskyStandin, pipeline: PipelineHarness
) -> None:
    for i in range(30):
        standin.post("ana.bsky.social", f"@acme note {i}")
    first = make(standin).fetch(None)
    pipeline.store(first.posts)
    saved = first.cursor
    # 120 more arrive (more than two pages), two of them in the same instant as the mark.
    standin.post("bo.bsky.social", "@acme same instant", same_instant=True)
    for i in range(30, 150):
        standin.post("ana.bsky.social", f"@acme note {i}")
    restarted = make(standin)  # a new process: a new session, the saved cursor
    page = restarted.fetch(saved)
    assert pipeline.store(page.posts) == len(page.posts)
    pipeline.store(restarted.fetch(saved).posts)  # crash before saving: read again
    pipeline.store(restarted.fetch(page.cursor).posts)  # nothing new
    texts = [r.text for r in pipeline.interactions()]
    assert len(texts) == len(set(texts)) == 151
    assert restarted.fetch(page.cursor).posts == []  # the mark's URIs: nothing read twice


def test_reply_record_carries_root_and_parent_strong_refs(standin: BlueskyStandin) -> None:
    root = standin.post("ana.bsky.social", "@acme bag lost")
    parent = standin.post("ana.bsky.social", "@acme any news?", reply_to=root["uri"])
    connector = make(standin)
    reply = Reply(
        channel="bluesky",
        text="Found it, it arrives tonight.",
        idempotency_key="r-1",
        in_reply_to_external_id=parent["uri"],
    )
    result = connector.send_reply(reply)
    sent = standin.requests_to("POST", "/xrpc/com.atproto.repo.createRecord")
    assert len(sent) == 1
    body = sent[0].json()
    assert body["repo"] == standin.did
    assert body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == "Found it, it arrives tonight."
    assert record["createdAt"]
    assert record["reply"]["root"] == {
        "$type": "com.atproto.repo.strongRef",
        "uri": root["uri"],
        "cid": root["cid"],
    }
    assert record["reply"]["parent"]["uri"] == parent["uri"]
    assert record["reply"]["parent"]["cid"] == parent["cid"]
    assert (
        sent[0]
        .header(
            "Authorization",
        )
        .startswith("Bearer ")
    )  # type: ignore[union-attr]
    assert connector.lookup_sent(reply) == result
    other = Reply(
        channel="bluesky", text="x", idempotency_key="r-2", in_reply_to_external_id=root["uri"]
    )
    assert connector.lookup_sent(other) is None


def test_failures_and_bad_items_never_raise(standin: BlueskyStandin) -> None:
    standin.post("ana.bsky.social", "@acme ok")
    standin.notifications.append({"uri": "at://x/app.bsky.feed.post/1", "reason": "mention"})
    connector = make(standin)
    page = connector.fetch(None)
    assert len(page.posts) == 1
    assert page.rejected[0].ref == "bluesky:at://x/app.bsky.feed.post/1"
    standin.rate_limited = 1
    with pytest.raises(SourceError) as limited:
        connector.fetch(page.cursor)
    assert limited.value.retry_after and limited.value.retry_after > 0
    wrong = BlueskyConnector(
        BlueskyConfig(base_url=standin.url, identifier=standin.account_handle, app_password="no")
    )
    with pytest.raises(NeedsReauth, match="needs re-auth"):
        wrong.fetch(None)
    with pytest.raises(SendError) as err:
        connector.send_reply(
            Reply(
                channel="bluesky",
                text="hi",
                idempotency_key="k",
                in_reply_to_external_id="at://did:plc:none/app.bsky.feed.post/404",
            )
        )
    assert not err.value.retryable


def test_keyword_search_resumes_from_its_mark(standin: BlueskyStandin) -> None:
    standin.post("ana.bsky.social", "another delay at LIS", reason=None)
    connector = make(standin, keywords=("delay",))
    first = connector.fetch(None)
    assert [p["text"] for p in first.posts] == ["another delay at LIS"]
    standin.post("bo.bsky.social", "delay again, same instant", reason=None, same_instant=True)
    standin.post("cy.bsky.social", "no keyword here", reason=None)
    second = connector.fetch(first.cursor)
    assert [p["text"] for p in second.posts] == ["delay again, same instant"]
    sent = standin.requests_to("GET", "/xrpc/app.bsky.feed.searchPosts")[-1]
    assert sent.arg("sort") == "latest" and sent.arg("since") and sent.arg("q") == "delay"
    assert connector.fetch(second.cursor).posts == []
