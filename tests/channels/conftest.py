"""Mail servers for the channel tests: one Dovecot per session, one SMTP server per test."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mail_servers import Dovecot, SmtpSink, dovecot_available, free_port


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    why = dovecot_available()
    if why:
        pytest.skip(why)
    # not under pytest's tmp dir: that is 0700 and Dovecot's auth user must read the users
    root = Path(tempfile.mkdtemp(prefix="gs-dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, SmtpSink]]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()
