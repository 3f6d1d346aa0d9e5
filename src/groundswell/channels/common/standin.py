"""A local stand-in for a network: real HTTP on 127.0.0.1 and a free port.

End-to-end tests and the demo point a connector's base URL here. The stand-in records every
request exactly as it arrived (method, path, query, headers, body) so a test asserts the
wire format the network expects, and answers from a per-network ``handle``. Streams (SSE)
are served by returning a ``Stream`` whose iterator yields the events to write.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


@dataclass(slots=True)
class Response:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(slots=True)
class Stream:
    """A long response written piece by piece (server-sent events, NDJSON)."""

    chunks: Iterable[bytes]
    content_type: str = "text/event-stream"


class StandinServer:
    """Subclass and implement ``handle``; use as a context manager."""

    name = "standin"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.closing = threading.Event()
        self.live_clock = False
        """False: posts are stamped by a fixed clock that steps per post, so tests see
        the same timestamps every run. True (the demo): each post is stamped now."""

    def advance(self, clock: datetime, step: timedelta) -> datetime:
        """The next post's timestamp after ``clock``: ``step`` later, or now (live)."""
        if self.live_clock:
            return max(clock + timedelta(milliseconds=1), datetime.now(UTC))
        return clock + step

    # -- to implement ---------------------------------------------------------------------
    def handle(self, request: Request) -> Response | Stream:  # pragma: no cover - abstract
        return Response(404, {"error": "not found"})

    # -- plumbing -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "stand-in not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def requests_to(self, method: str, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def start(self) -> StandinServer:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes: without this, Nagle's algorithm
                # holds the body until the client's delayed ACK (~40 ms a response).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                )
                with standin._lock:
                    standin.requests.append(request)
                try:
                    answer = standin.handle(request)
                except Exception as exc:  # a stand-in bug shows as a 500, as a network's would
                    answer = Response(500, {"error": f"stand-in failed: {exc}"})
                if isinstance(answer, Stream):
                    self._stream(answer)
                else:
                    self._respond(answer)

            def _respond(self, answer: Response) -> None:
                payload = answer.body
                if isinstance(payload, str):
                    data = payload.encode()
                elif isinstance(payload, bytes):
                    data = payload
                else:
                    data = json.dumps(payload).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _stream(self, answer: Stream) -> None:
                self.send_response(200)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    for chunk in answer.chunks:
                        if standin.closing.is_set():
                            break
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve
            do_PATCH = _serve
            do_DELETE = _serve
            do_HEAD = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"{self.name}-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sse_event(event: str, data: str) -> bytes:
    """One server-sent event as Mastodon's streaming server writes it."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n".encode()


def sse_stream(events: Iterator[bytes] | Iterable[bytes]) -> Stream:
    return Stream(chunks=events)
