"""A kept-alive connection the server drops between two polls: GETs go again, POSTs never.

The server here speaks HTTP/1.1 over a real socket on 127.0.0.1. It answers the first
request of every connection with keep-alive, then, when a second request arrives on the
same connection, reads it and drops the connection without answering, as a server does
whose idle timeout crossed the client's next poll: closed ("server disconnected without
sending a response") or reset (RST, "connection reset by peer").
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from groundswell.channels.x.client import XApiError, XClient
from groundswell.core.http_retry import retrying_transport


@dataclass
class Seen:
    requests: list[str] = field(default_factory=list)
    """``METHOD path`` of every request read, answered or dropped."""
    status: int = 200
    reset: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _read_request(stream: socket.SocketIO) -> str | None:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = stream.read(1)
        if not byte:
            return None
        head += byte
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        stream.read(length)
    method, path, _ = lines[0].split(" ", 2)
    return f"{method} {path}"


def _server(seen: Seen) -> socketserver.ThreadingTCPServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            stream = socket.SocketIO(sock, "rb")
            served = 0
            while True:
                line = _read_request(stream)
                if line is None:
                    return
                with seen.lock:
                    seen.requests.append(line)
                if served:
                    if seen.reset:  # linger 0: close sends RST
                        linger = struct.pack("ii", 1, 0)
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    sock.close()
                    return
                body = b'{"ok": true}'
                sock.sendall(
                    f"HTTP/1.1 {seen.status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n".encode()
                    + body
                )
                served += 1

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


@contextmanager
def _serving(seen: Seen) -> Iterator[str]:
    server = _server(seen)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["closed", "reset"])
def dropping(request: pytest.FixtureRequest) -> Iterator[tuple[str, Seen]]:
    seen = Seen(reset=request.param == "reset")
    with _serving(seen) as base:
        yield base, seen


def test_a_get_on_a_dropped_connection_is_sent_again_on_a_new_one(
    dropping: tuple[str, Seen],
) -> None:
    base, seen = dropping
    with httpx.Client(base_url=base, transport=retrying_transport()) as client:
        assert client.get("/poll").json() == {"ok": True}
        assert client.get("/poll").json() == {"ok": True}
    assert seen.requests == ["GET /poll", "GET /poll", "GET /poll"]


def test_without_the_retry_the_same_poll_fails(dropping: tuple[str, Seen]) -> None:
    """The server above does break a plain client: the retry is what the first test sees."""
    base, _ = dropping
    with httpx.Client(base_url=base) as client:
        client.get("/poll")
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.get("/poll")


def test_a_post_on_a_dropped_connection_is_never_sent_twice(dropping: tuple[str, Seen]) -> None:
    base, seen = dropping
    with httpx.Client(base_url=base, transport=retrying_transport()) as client:
        client.post("/reply", json={"text": "first"})
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post("/reply", json={"text": "second"})
    assert seen.requests == ["POST /reply", "POST /reply"]


def test_a_status_is_the_clients_to_handle_not_retried() -> None:
    seen = Seen(status=503)
    with (
        _serving(seen) as base,
        httpx.Client(base_url=base, transport=retrying_transport()) as client,
    ):
        assert client.get("/poll").status_code == 503
    assert seen.requests == ["GET /poll"]


def test_the_x_client_polls_through_a_dropped_connection(dropping: tuple[str, Seen]) -> None:
    """Before, the second poll raised ``XApiError`` ("Connection reset by peer") and the
    channel reported an error for a connection the server had merely let go idle."""
    base, seen = dropping
    client = XClient(base, "token")
    try:
        for _ in range(2):
            assert client.call("GET", "GET /2/dm_events", "/2/dm_events") == {"ok": True}
        assert seen.requests == ["GET /2/dm_events"] * 3
    finally:
        client.close()


def test_the_x_client_still_reports_a_server_that_keeps_failing() -> None:
    """One retry, not a loop: a server that drops every connection is an error."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    client = XClient(f"http://127.0.0.1:{port}", "token")
    try:
        with pytest.raises(XApiError) as raised:
            client.call("GET", "GET /2/dm_events", "/2/dm_events")
        assert raised.value.retryable
        assert raised.value.status == 0
    finally:
        client.close()
