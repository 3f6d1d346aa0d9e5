"""The demo history loads behind a serving app, in chunks, and only into an empty store."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.demo import runner
from groundswell.demo.setup import split_sample
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from gs_testing import make_settings


def test_history_is_submitted_in_chunks_while_the_backlog_is_short(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url)
    db = Database(settings)
    broker = MemoryBroker()
    app = SimpleNamespace(state=SimpleNamespace(settings=settings, broker=broker, db=db))
    stop = threading.Event()
    stream = posts_stream(settings)
    broker.ensure_group(stream, PROCESS_GROUP)
    seen: list[int] = []
    real_backlog = broker.backlog

    def backlog(name: str, group: str) -> int:
        seen.append(real_backlog(name, group))
        if seen[-1] > runner.MAX_BACKLOG:
            stop.set()  # nobody consumes in this test: stop where a worker would catch up
        return seen[-1]

    broker.backlog = backlog  # type: ignore[method-assign]
    try:
        sent = runner.load_history_in_background(app, speed=60, stop=stop)  # type: ignore[arg-type]
    finally:
        db.dispose()
    assert sent == runner.MAX_BACKLOG + runner.HISTORY_CHUNK
    assert sent < len(split_sample(60).history)
    assert max(seen) <= runner.MAX_BACKLOG + runner.HISTORY_CHUNK
