"""The real app under uvicorn for browser tests: a SQLite file, the embedded worker.

The demo's care team (ann, bob, lea) is set up; ``prepare`` adds what a test needs
before the server starts (channel accounts, rules), with the same secret key the server
runs with so encrypted channel credentials decrypt.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from groundswell.core.db import Database
from groundswell.demo.engagement_setup import ensure_engagement
from groundswell.listening.models import Subject
from groundswell.settings import Settings
from gs_testing import migrated_sqlite_url

PASSWORD = "a long enough password"
SECRET_KEY = "e2e-secret-key-for-this-run-only"


def print_server_log(path: Path, tail: int = 6000) -> None:
    """Print the end of the server's log; pytest shows it beside a failing test only."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return
    if text.strip():
        print(f"--- {path.name} (last {tail} characters) ---\n{text[-tail:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def run_app(
    tmp_path: Path,
    *,
    secret_key: str = SECRET_KEY,
    prepare: Callable[[Database, Settings], None] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, Database]]:
    url = migrated_sqlite_url(tmp_path / "e2e.db")
    settings = Settings(  # type: ignore[call-arg]
        database_url=url,
        secret_key=secret_key,
        environment="test",
        outbound_allow_hosts="127.0.0.1",
        _env_file=None,
    )
    db = Database(settings)
    with db.session() as s:
        s.add(Subject(name="United", kind="brand", query="@united OR united"))
    ensure_engagement(db, password=PASSWORD, open_cases=0)
    if prepare is not None:
        prepare(db, settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full_env = {
        **os.environ,
        "GROUNDSWELL_DATABASE_URL": url,
        "GROUNDSWELL_ENVIRONMENT": "test",
        "GROUNDSWELL_SECRET_KEY": secret_key,
        "GROUNDSWELL_SENTIMENT": "lexicon",
        "GROUNDSWELL_STANDIN_CHANNELS": "twitter",
        "GROUNDSWELL_PUBLIC_URL": base,
        "GROUNDSWELL_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
        "TZ": "UTC",
        **(env or {}),
    }
    log = (tmp_path / "uvicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "groundswell.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=full_env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            if proc.poll() is not None:
                pytest.fail("uvicorn exited: " + (tmp_path / "uvicorn.log").read_text())
            try:
                if httpx.get(base + "/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the app did not start")
        yield base, db
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print_server_log(tmp_path / "uvicorn.log")
        db.dispose()
