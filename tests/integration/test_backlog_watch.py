"""``groundswell import`` with Redis and no worker says what it waits for (defect 11)."""

from __future__ import annotations

import uuid

import pytest

from groundswell.core.brokers.redis_streams import RedisStreamsBroker
from groundswell.workers.backlog_watch import BacklogWatch

pytestmark = pytest.mark.redis
GROUP = "process"


@pytest.fixture
def broker(redis_url: str) -> RedisStreamsBroker:
    return RedisStreamsBroker(redis_url)


def test_the_wait_reports_the_backlog_falling_and_warns_without_workers(
    broker: RedisStreamsBroker,
) -> None:
    stream = f"t{uuid.uuid4().hex[:10]}.posts"
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, [b"x"] * 30)
    said: list[str] = []
    ticks = iter(range(1000))

    def worker_starts_late(_: float) -> None:
        """The first sleeps pass with nobody reading; then a worker takes 10 per poll."""
        n = next(ticks)
        if n >= 2:
            batch = broker.read(stream, GROUP, "late-worker", count=10)
            broker.ack(stream, GROUP, [m.id for m in batch])

    clock = iter(float(n) for n in range(1000))
    watch = BacklogWatch(
        broker,
        stream,
        GROUP,
        said.append,
        report_every_s=1.0,
        clock=lambda: next(clock),
        sleep=worker_starts_late,
    )
    try:
        watch.wait()
    finally:
        broker._client.delete(stream)
    assert said[0].startswith("waiting for workers to store 30 queued posts")
    assert any(line.startswith("warning: no worker is reading") for line in said)
    left = [int(line.split()[0]) for line in said if "posts left" in line]
    assert left == sorted(left, reverse=True) and left[-1] < 30
    assert said[-1] == "the workers have stored everything"


def test_dead_consumers_with_nothing_pending_are_removed(broker: RedisStreamsBroker) -> None:
    stream = f"t{uuid.uuid4().hex[:10]}.posts"
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, [b"a", b"b"])
    for name in ("dead-1", "dead-2", "dead-3"):
        broker._client.xgroup_createconsumer(stream, GROUP, name)
    holding = broker.read(stream, GROUP, "holding", count=1)
    assert len(holding) == 1
    said: list[str] = []
    watch = BacklogWatch(broker, stream, GROUP, said.append, prune_after_ms=-1)
    try:
        removed = watch.prune()
        left = {c.name for c in broker.consumers(stream, GROUP)}
    finally:
        broker._client.delete(stream)
    assert sorted(removed) == ["dead-1", "dead-2", "dead-3"]
    assert left == {"holding"}
    assert said == ["removed 3 dead consumer(s) with nothing pending"]


def test_a_starting_worker_removes_dead_consumers(
    broker: RedisStreamsBroker, redis_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from groundswell.core.db import Database
    from groundswell.ingestion.service import posts_stream
    from groundswell.workers import loops
    from gs_testing import make_settings

    monkeypatch.setattr(loops, "PRUNE_AFTER_MS", -1)
    settings = make_settings(sqlite_url, broker_url=redis_url)
    stream = posts_stream(settings)
    broker.ensure_group(stream, GROUP)
    broker._client.xgroup_createconsumer(stream, GROUP, "dead-after-restart")
    db = Database(settings)
    try:
        loops.process_loop(settings, db, broker, consumer="fresh")
        names = {c.name for c in broker.consumers(stream, GROUP)}
    finally:
        broker._client.delete(stream)
        db.dispose()
    assert "dead-after-restart" not in names
