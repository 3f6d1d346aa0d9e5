"""The long-running commands' logging keeps URLs that are credentials out of the logs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from groundswell.core.logs import QUIET_LOGGERS, configure_logging

SECRET = "T0000/B0000/xoxb-not-for-logs"


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    """A local stand-in for a Slack incoming webhook: its path is the secret."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/{SECRET}"
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        server.shutdown()
        server.server_close()


def test_httpx_would_log_the_secret_url_at_info(
    hook: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Why the set-up exists: at INFO, httpx writes the whole URL."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    caplog.set_level(logging.INFO)
    httpx.post(hook, json={"text": "spike"})
    assert SECRET in caplog.text


def test_the_commands_logging_keeps_it_out(hook: str, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging()
    caplog.set_level(logging.INFO)
    logging.getLogger("groundswell.test").info("our own lines still show")
    httpx.post(hook, json={"text": "spike"})
    assert "our own lines still show" in caplog.text
    assert SECRET not in caplog.text
