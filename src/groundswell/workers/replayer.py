"""``groundswell replay``: stream a file's posts into the pipeline at N times real time."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from groundswell.core.brokers import Broker, open_broker
from groundswell.core.db import Database
from groundswell.ingestion.replay import load_sorted, replay
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import submit_posts
from groundswell.settings import Settings
from groundswell.workers.embedded import EmbeddedWorker

log = logging.getLogger(__name__)


def _interruptible_sleep(stop: threading.Event) -> Callable[[float], None]:
    def sleep(seconds: float) -> None:
        stop.wait(seconds)

    return sleep


def stream_posts(
    broker: Broker,
    settings: Settings,
    posts: list[InboundPost],
    *,
    speed: float,
    fresh_ids: bool,
    stop: threading.Event,
    on_post: Callable[[InboundPost], None] | None = None,
) -> int:
    """Submit posts one by one as their (scaled) time comes; returns how many were sent."""
    suffix = uuid.uuid4().hex[:8] if fresh_ids else None
    sent = 0
    for post in replay(posts, speed=speed, fresh_ids=suffix, sleep=_interruptible_sleep(stop)):
        if stop.is_set():
            break
        submit_posts(broker, settings, [post])
        sent += 1
        if on_post is not None:
            on_post(post)
    return sent


def run_replay(
    settings: Settings,
    path: Path,
    fmt: str,
    *,
    speed: float,
    limit: int | None = None,
    fresh_ids: bool = True,
) -> int:
    posts = load_sorted(path, fmt, limit=limit)
    broker = open_broker(settings.broker_url)
    db = Database(settings)
    worker = EmbeddedWorker(settings, db, broker) if settings.embedded_broker else None
    if worker is not None:
        worker.start()
    stop = threading.Event()
    try:
        sent = stream_posts(broker, settings, posts, speed=speed, fresh_ids=fresh_ids, stop=stop)
    except KeyboardInterrupt:
        stop.set()
        sent = 0
    finally:
        if worker is not None:
            worker.loop.drain()
            worker.stop()
        broker.close()
        db.dispose()
    log.info("replayed %d posts", sent)
    return sent
