"""Wire the process stage to a broker consumer loop."""

from __future__ import annotations

import os
import socket

from groundswell.core.brokers import Broker
from groundswell.core.brokers.redis_streams import RedisStreamsBroker
from groundswell.core.db import Database
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from groundswell.settings import Settings
from groundswell.workers.backlog_watch import PRUNE_AFTER_MS
from groundswell.workers.process_stage import ProcessStage
from groundswell.workers.runner import ConsumerLoop


def consumer_name(index: int = 0) -> str:
    """Unique per process, stable enough to read in XPENDING output."""
    return f"{socket.gethostname()}-{os.getpid()}-{index}"


def process_loop(
    settings: Settings, db: Database, broker: Broker, *, consumer: str
) -> tuple[ConsumerLoop, ProcessStage]:
    stage = ProcessStage(settings, db, broker)
    stream = posts_stream(settings)
    broker.ensure_group(stream, PROCESS_GROUP)
    if isinstance(broker, RedisStreamsBroker):
        # Each restart leaves a consumer behind; the empty, long-idle ones go.
        broker.prune_consumers(stream, PROCESS_GROUP, idle_ms=PRUNE_AFTER_MS)
    loop = ConsumerLoop(
        broker,
        stream=stream,
        group=PROCESS_GROUP,
        consumer=consumer,
        handler=stage.handle,
        dead_letter=stage.dead_letter,
        batch_size=settings.batch_size,
        reclaim_idle_ms=settings.reclaim_idle_ms,
        max_deliveries=settings.max_deliveries,
        prefetch=stage.prefetch if stage.ahead is not None else None,
    )
    return loop, stage
