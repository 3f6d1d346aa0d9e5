"""One test per X API v2 payload fixture, served to the connector through httpx's mock
transport so each documented shape is read (or refused) exactly as the network sends it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from groundswell.channels.base import Reply, SendError
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.x import XConfig, XConnector
from groundswell.channels.x.client import XApiError
from groundswell.ingestion.schemas import InboundPost

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def connector(
    handler: Callable[[httpx.Request], httpx.Response],
) -> XConnector:
    config = XConfig(user_id="1000", access_token="t", base_url="http://x.test", username="gs")
    return XConnector(config, transport=httpx.MockTransport(handler))


def serve(name: str, status: int = 200, headers: dict[str, str] | None = None) -> XConnector:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=load(name), headers=headers)

    conn = connector(handler)
    conn.seen = seen  # type: ignore[attr-defined]
    return conn


def test_mentions_page() -> None:
    conn = serve("mentions_page.json")
    fetched = conn.mentions().fetch(None)
    assert fetched.cursor == "1843700000000000002"
    assert [p["external_id"] for p in fetched.posts] == [  # oldest first
        "1843690000000000001",
        "1843700000000000002",
    ]
    post = fetched.posts[1]
    assert post["reply_to_external_id"] == "1843600000000000001"
    assert post["author"]["handle"] == "XDevelopers"
    assert post["author"]["followers"] == 583423
    assert post["author"]["verified"] is True
    assert post["engagement"] == {"likes": 7, "shares": 2, "replies": 1}
    for p in fetched.posts:
        InboundPost.model_validate(p)
    request = conn.seen[0]  # type: ignore[attr-defined]
    assert request.url.path == "/2/users/1000/mentions"
    assert request.url.params["expansions"] == "author_id"
    assert "since_id" not in request.url.params


def test_mentions_empty_keeps_the_cursor() -> None:
    fetched = serve("mentions_empty.json").mentions().fetch("1843700000000000002")
    assert fetched.posts == []
    assert fetched.cursor == "1843700000000000002"


def test_mentions_missing_fields_skips_only_the_broken_tweet() -> None:
    fetched = serve("mentions_missing_fields.json").mentions().fetch(None)
    assert [p["external_id"] for p in fetched.posts] == ["1843710000000000004"]
    assert fetched.cursor == "1843710000000000004"


def test_create_tweet_201() -> None:
    conn = serve("create_tweet_201.json", 201)
    result = conn.send_reply(
        Reply(
            channel="twitter",
            text="Sorry to hear that, we are on it.",
            idempotency_key="k",
            in_reply_to_external_id="1843700000000000002",
        )
    )
    assert result.external_id == "1445880548472328192"
    assert result.url == "https://x.com/gs/status/1445880548472328192"
    request = conn.seen[0]  # type: ignore[attr-defined]
    assert request.method == "POST" and request.url.path == "/2/tweets"
    assert json.loads(request.content) == {
        "text": "Sorry to hear that, we are on it.",
        "reply": {"in_reply_to_tweet_id": "1843700000000000002"},
    }
    assert request.headers["authorization"] == "Bearer t"


def test_dm_create_201() -> None:
    conn = serve("dm_create_201.json", 201)
    result = conn.send_reply(
        Reply(
            channel="twitter",
            text="Can you DM us your booking?",
            idempotency_key="k",
            visibility="private",
            recipient="2244994945",
        )
    )
    assert result.external_id == "1582838535303430150"
    request = conn.seen[0]  # type: ignore[attr-defined]
    assert request.url.path == "/2/dm_conversations/with/2244994945/messages"


def test_stream_event() -> None:
    line = (FIXTURES / "stream_event.json").read_text().strip()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=(line + "\r\n\r\n").encode())

    fetched = connector(handler).stream().fetch(None)
    assert [p["external_id"] for p in fetched.posts] == ["1843720000000000005"]
    assert fetched.posts[0]["raw"]["matching_rules"] == ["gs:subject:3"]
    assert fetched.cursor == "1843720000000000005"


def test_stream_operational_disconnect() -> None:
    line = json.dumps(load("stream_operational_disconnect.json"))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=(line + "\r\n").encode())

    with pytest.raises(SourceError, match="operational-disconnect") as err:
        connector(handler).stream().fetch(None)
    assert err.value.retryable


def test_rules_get_and_add() -> None:
    calls: list[tuple[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        calls.append((request.method, body))
        if request.method == "GET":
            return httpx.Response(200, json=load("rules_get.json"))
        if body and "add" in body:
            return httpx.Response(201, json=load("rules_add_201.json"))
        return httpx.Response(200, json={"meta": {"summary": {"deleted": 1, "not_deleted": 0}}})

    counts = connector(handler).sync_rules({"gs:subject:1": "(delta OR #delta)"})
    assert counts == {"deleted": 1, "created": 1, "kept": 0}
    assert calls[1] == ("POST", {"delete": {"ids": ["1843000000000000001"]}})  # ours only
    assert calls[2] == ("POST", {"add": [{"value": "(delta OR #delta)", "tag": "gs:subject:1"}]})


def test_rules_add_201_summary() -> None:
    body = load("rules_add_201.json")
    assert body["meta"]["summary"]["created"] == 1


def test_error_401_needs_reauth() -> None:
    conn = serve("error_401.json", 401)
    with pytest.raises(NeedsReauth):
        conn.mentions().fetch(None)
    with pytest.raises(SendError) as err:
        conn.send_reply(Reply(channel="twitter", text="hi", idempotency_key="k"))
    assert err.value.retryable is False


def test_error_429_carries_the_reset() -> None:
    reset = int(time.time()) + 120
    headers = {
        "x-rate-limit-limit": "75",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(reset),
    }
    conn = serve("error_429.json", 429, headers)
    with pytest.raises(XApiError) as err:
        conn.mentions().fetch(None)
    assert err.value.retryable and err.value.status == 429
    assert err.value.retry_after is not None and 100 < err.value.retry_after <= 120
    # the window is remembered: the next call waits instead of hammering the network
    with pytest.raises(XApiError, match="rate limit exhausted"):
        conn.mentions().fetch(None)
    assert conn.client.limits.snapshot()["GET /2/users/:id/mentions"]["remaining"] == 0


def test_error_403_reply_not_allowed_is_final() -> None:
    conn = serve("error_403_reply_not_allowed.json", 403)
    with pytest.raises(SendError) as err:
        conn.send_reply(
            Reply(channel="twitter", text="hi", idempotency_key="k", in_reply_to_external_id="1")
        )
    assert err.value.retryable is False
    assert "not allowed" in err.value.reason


def test_dm_events_page() -> None:
    conn = serve("dm_events_page.json")
    fetched = conn.direct_messages().fetch("1582838535303430140")
    # newer than the cursor, from the customer only (our own DM is skipped)
    assert [p["external_id"] for p in fetched.posts] == ["1582838535303430155"]
    post = fetched.posts[0]
    assert post["raw"] == {"private": True, "dm_conversation_id": "1000-2244994945"}
    assert post["private"] is True and post["url"] is None  # a DM is not public talk
    assert post["author"]["handle"] == "XDevelopers"
    assert fetched.cursor == "1582838535303430155"
    InboundPost.model_validate(post)
    request = conn.seen[0]  # type: ignore[attr-defined]
    assert request.url.path == "/2/dm_events"
    assert request.url.params["event_types"] == "MessageCreate"


def test_every_fixture_has_a_test() -> None:
    source = Path(__file__).read_text()
    for path in FIXTURES.glob("*.json"):
        assert path.name in source, path.name
