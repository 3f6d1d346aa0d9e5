"""One bounded reader: an oversized body is refused before it is read whole."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from groundswell.api.body_limit import BodyLimitMiddleware

LIMIT = 1024 * 1024
CHUNK = 64 * 1024


async def _reached(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the whole body, as ``request.body()`` does, then answers 200."""
    while True:
        message = await receive()
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _run(headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[int, list[Message]]:
    reads = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": reads < chunks}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    middleware = BodyLimitMiddleware(_reached, max_bytes=LIMIT)
    try:
        asyncio.run(middleware(scope, receive, send))
    except Exception as exc:  # the HTTPException a route's exception handler turns into 413
        assert getattr(exc, "status_code", None) == 413
        sent.append({"type": "raised", "status": 413})
    return reads, sent


def test_a_declared_300_mb_body_is_refused_without_reading_it() -> None:
    declared = str(300 * 1024 * 1024).encode()
    reads, sent = _run([(b"content-length", declared)], chunks=300 * 16)
    assert reads == 0
    assert sent[0]["status"] == 413


def test_a_streamed_body_stops_being_read_at_the_limit() -> None:
    reads, sent = _run([], chunks=300 * 16)
    assert reads == LIMIT // CHUNK + 1
    assert sent[-1]["status"] == 413


def test_a_body_within_the_limit_goes_through() -> None:
    reads, sent = _run([(b"content-length", str(4 * CHUNK).encode())], chunks=4)
    assert reads == 4
    assert sent[0]["status"] == 200


def test_every_route_of_the_app_is_behind_the_limit(client: TestClient) -> None:
    limit = client.app.state.settings.max_request_bytes  # type: ignore[attr-defined]
    for path in ("/api/v1/ingest", "/login", "/api/v1/subjects"):
        response = client.post(
            path, content=b"x" * (limit + 1), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413, path
        assert "x-frame-options" in response.headers


def test_a_get_with_a_bad_content_length_gets_a_documented_400(client: TestClient) -> None:
    # The limit stands in front of every method, so the description must list its 400
    # and 413 for operations without a body too (a contract run found a GET without).
    response = client.get("/api/v1/journeys", headers={"content-length": "6>L%l"})
    assert response.status_code == 400
    assert response.json() == {"detail": "the Content-Length header is not a number"}
    described = client.get("/openapi.json").json()["paths"]["/api/v1/journeys"]["get"]
    assert {"400", "413"} <= set(described["responses"])
    assert "Content-Length" in described["responses"]["400"]["description"]
