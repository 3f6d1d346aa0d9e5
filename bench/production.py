"""PostgreSQL + Redis Streams: publish everything, then time ``groundswell worker``.

The posts are published to a fresh stream first (its own rate is measured on its own),
so the timed part is the workers alone: from starting ``groundswell worker
--concurrency K`` as a subprocess until ``SELECT count(*)`` on ``interactions`` reaches
N, polled every 0.2 s. That span includes process start-up (interpreter, imports, the
language model), so the time until the first row is reported too, and a steady rate
that leaves start-up out. The workers are then stopped with SIGTERM, as a service
manager would, and the database and streams are dropped.

When the server runs with ``autovacuum = off`` (common on CI and test servers) tables
are never analyzed, the planner keeps its no-statistics guesses, and the remember
stage's ``external_id IN (…500 ids…)`` lookups scan every row of the channel instead of
probing the unique index, so each batch costs more as the table grows. A production
server analyzes on its own; to measure that, the poller then runs ``ANALYZE`` when
``interactions`` has grown by 10 % + 50 rows since the last one (autovacuum's default
trigger), at most every ``ANALYZE_EVERY_S`` seconds. ``analyze=False`` measures the
server as configured.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import Engine, text

from bench.common import REDIS_URL, bench_settings, count_interactions
from bench.data import replicate
from groundswell.core.brokers.redis_streams import RedisStreamsBroker
from groundswell.core.db import make_engine
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import submit_posts

PUBLISH_CHUNK = 2_000
POLL_S = 0.2
ANALYZE_EVERY_S = 5.0
ANALYZE_THRESHOLD, ANALYZE_SCALE = 50, 0.1


@dataclass
class PublishRun:
    posts: int
    seconds: float


@dataclass
class WorkerRun:
    workers: int
    posts: int
    stored: int
    seconds: float
    first_row_s: float
    finished: bool
    analyzes: int = 0

    @property
    def steady_rate(self) -> float:
        span = self.seconds - self.first_row_s
        return self.stored / span if span > 0 else 0.0


def publish_all(prefix: str, base: list[InboundPost], n: int) -> PublishRun:
    """Publish ``n`` posts with ``submit_posts`` in import-sized chunks; time only that."""
    settings = bench_settings("sqlite://", REDIS_URL, prefix)
    broker = RedisStreamsBroker(REDIS_URL)
    spent = 0.0
    chunk: list[InboundPost] = []
    for _, post in replicate(base, n):
        chunk.append(post)
        if len(chunk) == PUBLISH_CHUNK:
            started = time.perf_counter()
            submit_posts(broker, settings, chunk)
            spent += time.perf_counter() - started
            chunk = []
    if chunk:
        started = time.perf_counter()
        submit_posts(broker, settings, chunk)
        spent += time.perf_counter() - started
    broker.close()
    return PublishRun(n, spent)


def drop_streams(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(f"{prefix}.posts", f"{prefix}.events")
    client.close()


def autovacuum_on(engine: Engine) -> bool:
    with engine.connect() as conn:
        return str(conn.scalar(text("SHOW autovacuum"))).lower() == "on"


def run_workers(
    url: str, prefix: str, workers: int, n: int, workdir: Path, *, analyze: bool = True
) -> WorkerRun:
    """Start ``groundswell worker --concurrency workers`` and wait for ``n`` rows."""
    env = {
        **os.environ,
        "GROUNDSWELL_DATABASE_URL": url,
        "GROUNDSWELL_BROKER_URL": REDIS_URL,
        "GROUNDSWELL_STREAM_PREFIX": prefix,
        "HF_HUB_OFFLINE": "1",
    }
    command = [str(Path(sys.executable).parent / "groundswell"), "worker"]
    command += ["--concurrency", str(workers)]
    engine = make_engine(url)
    timeout_s = max(120.0, n / 100)
    log_path = workdir / f"worker-{prefix}.log"
    stored, first_row = 0, None
    analyze = analyze and not autovacuum_on(engine)
    analyzed_at, analyzed_rows, analyzes = float("-inf"), 0, 0
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log)
        try:
            while stored < n and time.perf_counter() - started < timeout_s:
                time.sleep(POLL_S)
                if process.poll() is not None:
                    break
                stored = count_interactions(engine)
                if stored and first_row is None:
                    first_row = time.perf_counter() - started
                now = time.perf_counter()
                grown = stored - analyzed_rows > ANALYZE_THRESHOLD + ANALYZE_SCALE * analyzed_rows
                if analyze and grown and now - analyzed_at >= ANALYZE_EVERY_S:
                    with engine.connect() as conn:
                        conn.execute(text("ANALYZE"))
                        conn.commit()
                    analyzed_at, analyzed_rows, analyzes = now, stored, analyzes + 1
            seconds = time.perf_counter() - started
        finally:
            _stop(process)
    stored = count_interactions(engine)
    engine.dispose()
    if stored < n:
        print(f"  workers stored {stored} of {n}; see {log_path}", file=sys.stderr)
    return WorkerRun(workers, n, stored, seconds, first_row or seconds, stored >= n, analyzes)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the supervisor (it stops its children after their batch), then wait."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
