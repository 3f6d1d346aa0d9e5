"""Helpers for connector tests: fixtures by name and a small pipeline to store posts.

``PipelineHarness`` runs what the runner does after a fetch — validate each post as an
``InboundPost`` (refusals kept with their reason), then the real process stage — so an
end-to-end test can assert what was stored: identity, thread and no duplicates.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import uvicorn
from sqlalchemy import select

from groundswell.core.brokers import open_broker
from groundswell.core.brokers.base import Message
from groundswell.core.db import Database
from groundswell.crm.models import Identity, Interaction
from groundswell.ingestion.formats import Accepted, validate_items
from groundswell.ingestion.service import validation_context
from groundswell.workers.process_stage import ProcessStage
from gs_testing import make_settings


def fixture_names(network: str) -> list[str]:
    folder = resources.files(f"groundswell.channels.{network}") / "fixtures"
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))


def load_fixture(network: str, name: str) -> Any:
    folder = resources.files(f"groundswell.channels.{network}") / "fixtures"
    return json.loads((folder / name).read_text())


def fixture_bytes(network: str, name: str) -> bytes:
    folder = resources.files(f"groundswell.channels.{network}") / "fixtures"
    return (folder / name).read_bytes()


class PipelineHarness:
    def __init__(self, database_url: str, *, outbound_allow_hosts: str = "") -> None:
        self.settings = make_settings(database_url, outbound_allow_hosts=outbound_allow_hosts)
        self.db = Database(self.settings)
        self.stage = ProcessStage(self.settings, self.db, open_broker("memory://"))
        self.refused: list[str] = []
        self._n = 0

    def store(self, posts: list[dict[str, Any]]) -> int:
        """Validate and store; returns how many posts were accepted."""
        parsed = validate_items(posts, context=validation_context(self.settings))
        accepted = [r.post for r in parsed if isinstance(r, Accepted)]
        self.refused.extend(f"{r.ref}: {r.reason}" for r in parsed if not isinstance(r, Accepted))
        messages = []
        for post in accepted:
            self._n += 1
            messages.append(Message(id=f"m{self._n}", payload=post.model_dump_json().encode()))
        if messages:
            outcome = self.stage.handle(messages)
            assert not outcome.failed, outcome.failed
        return len(accepted)

    def interactions(self) -> list[Interaction]:
        with self.db.session() as session:
            rows = list(session.scalars(select(Interaction).order_by(Interaction.id)))
            session.expunge_all()
            return rows

    def identity_of(self, interaction: Interaction) -> Identity:
        with self.db.session() as session:
            identity = session.get(Identity, interaction.identity_id)
            assert identity is not None
            session.expunge(identity)
            return identity

    def close(self) -> None:
        self.db.dispose()


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn in this process on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
