"""A worker killed mid-stream loses nothing and duplicates nothing (PostgreSQL + Redis).

Two versions: a deterministic one, where a consumer takes a batch and vanishes without
acknowledging it; and a real one, where ``groundswell worker`` processes are killed with
SIGKILL while they work and a fresh worker finishes the stream.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from groundswell.core.brokers import Broker, open_broker
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Identity, Interaction
from groundswell.ingestion.formats import Accepted, parse_file
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream, submit_posts
from groundswell.listening.models import ALL_POSTS, MinuteRollup
from groundswell.settings import Settings
from groundswell.workers.loops import process_loop
from gs_testing import make_settings, require_data, truncate_all

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

POSTS = 3000


@pytest.fixture
def stack(pg_database_url: str, redis_url: str) -> Iterator[tuple[Settings, Database, Broker]]:
    settings = make_settings(pg_database_url, broker_url=redis_url, reclaim_idle_ms=500)
    db = Database(settings)
    truncate_all(db)
    broker = open_broker(redis_url)
    yield settings, db, broker
    broker.close()
    db.dispose()


def airline_posts(n: int) -> list[InboundPost]:
    path = require_data("airline", "Tweets.csv")
    seen: set[str] = set()
    out = []
    for record in parse_file(path, "airline"):
        if isinstance(record, Accepted) and record.post.external_id not in seen:
            seen.add(record.post.external_id)
            out.append(record.post)
            if len(out) == n:
                break
    return out


def state(db: Database) -> tuple[int, int, int, int]:
    with db.session() as s:
        n = lambda m: int(s.scalar(sa.select(sa.func.count()).select_from(m)) or 0)  # noqa: E731
        rolled = s.scalar(
            sa.select(sa.func.sum(MinuteRollup.count)).where(MinuteRollup.subject_id == ALL_POSTS)
        )
        return n(Interaction), n(Identity), n(Contact), int(rolled or 0)


def expected_authors(posts: list[InboundPost]) -> int:
    return len({p.author.external_id for p in posts})


def test_batch_left_pending_by_a_vanished_consumer_is_taken_over(
    stack: tuple[Settings, Database, Broker],
) -> None:
    settings, db, broker = stack
    posts = airline_posts(600)
    submit_posts(broker, settings, posts)
    stream = posts_stream(settings)
    taken = broker.read(stream, PROCESS_GROUP, "doomed", count=250)
    assert len(taken) == 250 and broker.pending(stream, PROCESS_GROUP) == 250
    time.sleep(0.6)  # longer than reclaim_idle_ms: the doomed consumer is gone
    loop, stage = process_loop(settings, db, broker, consumer="survivor")
    loop.drain()
    assert broker.backlog(stream, PROCESS_GROUP) == 0
    interactions, identities, _, rolled = state(db)
    assert interactions == rolled == 600 == stage.stored_total
    assert identities == expected_authors(posts)


def _start_workers(settings: Settings, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GROUNDSWELL_DATABASE_URL": settings.database_url,
        "GROUNDSWELL_BROKER_URL": settings.broker_url,
        "GROUNDSWELL_STREAM_PREFIX": settings.stream_prefix,
        "GROUNDSWELL_RECLAIM_IDLE_MS": "500",
        "GROUNDSWELL_BATCH_SIZE": "100",
    }
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "groundswell", "worker", "--concurrency", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.cpu_heavy
def test_killed_worker_processes_lose_and_duplicate_nothing(
    stack: tuple[Settings, Database, Broker], tmp_path: Path
) -> None:
    settings, db, broker = stack
    posts = airline_posts(POSTS)
    stream = posts_stream(settings)
    submit_posts(broker, settings, posts)

    first = _start_workers(settings, tmp_path, "first")
    try:
        _wait(lambda: state(db)[0] > 0, 120, "the first batches to be stored")
        os.killpg(first.pid, signal.SIGKILL)  # supervisor and workers, mid-stream
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    stored_at_kill = state(db)[0]
    assert stored_at_kill < POSTS, "the workers finished before they could be killed"

    second = _start_workers(settings, tmp_path, "second")
    try:
        _wait(lambda: broker.backlog(stream, PROCESS_GROUP) == 0, 180, "the backlog to drain")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(30)
    interactions, identities, contacts, rolled = state(db)
    assert interactions == rolled == POSTS
    assert identities == expected_authors(posts)
    assert contacts <= identities
    with db.session() as s:
        orphans = s.scalar(
            sa.select(sa.func.count()).select_from(Identity).where(Identity.contact_id.is_(None))
        )
    assert orphans == 0
