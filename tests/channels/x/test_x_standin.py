"""The X connector end to end against the stand-in over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from groundswell.channels.base import Reply
from groundswell.channels.errors import NeedsReauth
from groundswell.channels.x import XConfig, XConnector
from groundswell.channels.x.client import XApiError
from groundswell.channels.x.standin import StandInServer, StandInState


@pytest.fixture
def standin() -> Iterator[StandInServer]:
    server = StandInServer(StandInState(keepalive=0.05)).start()
    yield server
    server.stop()


def _connector(server: StandInServer, token: str | None = None) -> XConnector:
    state = server.state
    return XConnector(
        XConfig(
            user_id=state.account_id,
            access_token=token or state.token,
            base_url=server.base_url,
            username=state.account_username,
            stream_backfill_minutes=5,
        )
    )


def test_mentions_paginate_and_resume_from_since_id(standin: StandInServer) -> None:
    state = standin.state
    first = state.mention("501", "ana", "@groundswell_co hello")
    conn = _connector(standin)
    fetched = conn.mentions().fetch(None)
    assert [p["external_id"] for p in fetched.posts] == [first["id"]]
    # 250 new mentions: three pages of 100 are followed back to the cursor
    new = [state.mention("502", "bo", f"@groundswell_co issue {i}")["id"] for i in range(250)]
    again = conn.mentions().fetch(fetched.cursor)
    assert [p["external_id"] for p in again.posts] == new  # oldest first, none twice
    assert again.cursor == new[-1]
    assert conn.mentions().fetch(again.cursor).posts == []


def test_reply_reaches_the_standin_as_x_expects(standin: StandInServer) -> None:
    state = standin.state
    customer = state.mention("501", "ana", "@groundswell_co my bag is lost")
    conn = _connector(standin)
    reply = Reply(
        channel="twitter",
        text="Sorry Ana, we're tracing it & will DM you.",
        idempotency_key="r-1",
        in_reply_to_external_id=customer["id"],
    )
    assert conn.lookup_sent(reply) is None
    result = conn.send_reply(reply)
    assert state.sent == [
        {
            "path": "/2/tweets",
            "json": {
                "text": "Sorry Ana, we're tracing it & will DM you.",
                "reply": {"in_reply_to_tweet_id": customer["id"]},
            },
        }
    ]
    assert [t["id"] for t in state.replies_to(customer["id"])] == [result.external_id]
    found = conn.lookup_sent(reply)
    assert found is not None and found.external_id == result.external_id
    other = Reply(
        channel="twitter",
        text="different",
        idempotency_key="r-2",
        in_reply_to_external_id=customer["id"],
    )
    assert conn.lookup_sent(other) is None


def test_stream_reads_posts_and_resumes_with_backfill(standin: StandInServer) -> None:
    state = standin.state
    conn = _connector(standin)
    conn.sync_rules({"gs:subject:1": "(delta OR #delta)"})
    stream = conn.stream()
    stream.window = 0.3
    assert stream.fetch(None).posts == []  # connected, nothing yet (keep-alives only)
    ids = [state.push_stream(str(600 + i), f"u{i}", f"delta post {i}")["id"] for i in range(5)]
    got: list[str] = []
    cursor = None
    for _ in range(20):
        batch = stream.fetch(cursor)
        got += [p["external_id"] for p in batch.posts]
        cursor = batch.cursor
        if len(got) >= 5:
            break
    assert got == ids
    assert batch.posts[-1]["raw"]["matching_rules"] == ["gs:subject:1"]
    # the process dies; posts arrive while nobody listens; a new reader backfills them
    stream.close()
    missed = state.push_stream("700", "late", "delta while down")["id"]
    fresh = conn.stream()
    fresh.window = 0.3
    seen: list[str] = []
    for _ in range(20):
        seen += [p["external_id"] for p in fresh.fetch(cursor).posts]
        if missed in seen:
            break
    assert missed in seen
    fresh.close()


def test_wrong_token_needs_reauth(standin: StandInServer) -> None:
    with pytest.raises(NeedsReauth):
        _connector(standin, token="expired").mentions().fetch(None)


def test_rate_limit_429_from_the_standin(standin: StandInServer) -> None:
    standin.state.rate_limit = 2
    conn = _connector(standin)
    conn.mentions().fetch(None)
    conn.mentions().fetch(None)
    with pytest.raises(XApiError) as err:
        conn.mentions().fetch(None)
    assert err.value.status == 429 and err.value.retryable


def test_a_5xx_is_retryable(standin: StandInServer) -> None:
    standin.state.fail_next.append(503)
    with pytest.raises(XApiError) as err:
        _connector(standin).mentions().fetch(None)
    assert err.value.retryable and err.value.status == 503


def test_direct_messages_in_and_out(standin: StandInServer) -> None:
    state = standin.state
    conn = _connector(standin)
    first = state.direct_message("501", "ana", "my booking is ABC123")
    fetched = conn.direct_messages().fetch(None)
    assert [p["external_id"] for p in fetched.posts] == [first["id"]]
    conn.send_reply(
        Reply(
            channel="twitter",
            text="Thanks Ana",
            idempotency_key="d1",
            visibility="private",
            recipient="501",
        )
    )
    assert state.sent[-1] == {
        "path": "/2/dm_conversations/with/501/messages",
        "json": {"text": "Thanks Ana"},
    }
    second = state.direct_message("501", "ana", "great, thank you")
    again = conn.direct_messages().fetch(fetched.cursor)
    assert [p["external_id"] for p in again.posts] == [second["id"]]  # our DM skipped
    assert conn.direct_messages().fetch(again.cursor).posts == []


def test_a_malformed_stream_line_is_skipped_not_fatal(standin: StandInServer) -> None:
    import time as _time

    state = standin.state
    conn = _connector(standin)
    stream = conn.stream()
    stream.window = 0.3
    stream.fetch(None)
    state.stream_log.append((_time.time(), b'{"data": {"id": "1"\r\n'))  # cut short
    state.stream_log.append((_time.time(), b'{"unknown_event": true}\r\n'))
    good = state.push_stream("800", "ok", "delta after garbage")["id"]
    seen: list[str] = []
    for _ in range(20):
        seen += [p["external_id"] for p in stream.fetch(None).posts]
        if seen:
            break
    assert seen == [good]
    assert stream.skipped == 2
    stream.close()
