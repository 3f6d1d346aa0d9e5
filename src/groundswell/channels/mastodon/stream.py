"""Mastodon's streaming API (server-sent events) with a REST catch-up on every connect.

The streaming server cannot resume from an id, so each (re)connect first drains the REST
notifications from the saved cursor, then follows ``/api/v1/streaming/user/notification``.
Each pushed mention comes out as its own ``Polled`` whose cursor is that notification's id,
so the runner saves progress event by event. SSE framing is read by ``httpx-sse``; a
malformed event is refused alone and the stream goes on (Mastodon.py's listener aborts
the whole stream on one bad event, which is why it is not used here).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import orjson
from httpx_sse import connect_sse

from groundswell.channels.common.results import Polled, Refusal, preview
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.mastodon.connector import MastodonConnector, _load_cursor
from groundswell.core.http_retry import retrying_transport

STREAM_PATH = "/api/v1/streaming/user/notification"


def _cursor_with(cursor: str | None, notification_id: str) -> str:
    state = _load_cursor(cursor)
    state["mentions"] = notification_id
    return orjson.dumps(state).decode()


def stream(
    connector: MastodonConnector,
    cursor: str | None,
    *,
    stop: threading.Event,
    read_timeout: float = 60.0,
) -> Iterator[Polled]:
    """Yield catch-up pages, then one ``Polled`` per streamed event, until ``stop`` is set
    or the server closes the stream (the caller reconnects with the latest cursor)."""
    while not stop.is_set():
        page = connector.fetch(cursor)
        yield page
        if page.retry_after:
            return
        if page.cursor == cursor:
            break
        cursor = page.cursor
    if stop.is_set():
        return
    url = connector.config.base_url.rstrip("/") + STREAM_PATH
    headers = {"Authorization": f"Bearer {connector.config.access_token}"}
    timeout = httpx.Timeout(connector.config.timeout, read=read_timeout)
    try:
        with (
            connector.guard.install(
                httpx.Client(timeout=timeout, transport=retrying_transport())
            ) as http,
            connect_sse(http, "GET", url, headers=headers) as source,
        ):
            if source.response.status_code != 200:
                reason = f"stream refused with HTTP {source.response.status_code}"
                if source.response.status_code == 401:
                    raise NeedsReauth(reason)
                raise SourceError(reason)
            for event in source.iter_sse():
                if stop.is_set():
                    return
                if event.event != "notification":
                    continue  # update, delete, status.update: not what this stream listens for
                try:
                    payload = orjson.loads(event.data)
                except orjson.JSONDecodeError as exc:
                    bad = Refusal("mastodon:stream", f"malformed JSON: {exc}", event.data[:4000])
                    yield Polled(posts=[], cursor=cursor, rejected=(bad,))
                    continue
                post, refusal = connector.parse_notification(payload)
                note_id = payload.get("id") if isinstance(payload, dict) else None
                if isinstance(note_id, str) and note_id.isdigit():
                    cursor = _cursor_with(cursor, note_id)
                if refusal is not None:
                    yield Polled(posts=[], cursor=cursor, rejected=(refusal,))
                elif post is None:
                    yield Polled(posts=[], cursor=cursor, ignored=1)
                else:
                    yield Polled(posts=[post], cursor=cursor)
    except httpx.HTTPError as exc:
        raise SourceError(f"stream lost: {exc}") from exc
    except ValueError as exc:  # httpx-sse: the response was not text/event-stream
        raise SourceError(f"stream refused: {preview(str(exc))}") from exc
