"""Entry point of one worker process (``groundswell worker`` starts N of these)."""

from __future__ import annotations

import logging
from multiprocessing.synchronize import Event

from groundswell.core.brokers import open_broker
from groundswell.core.db import Database
from groundswell.core.logs import configure_logging
from groundswell.settings import get_settings
from groundswell.workers.loops import consumer_name, process_loop

log = logging.getLogger(__name__)


def run_worker_process(index: int, stop: Event) -> None:
    configure_logging("%(asctime)s %(processName)s %(message)s")
    settings = get_settings()
    db = Database(settings)
    broker = open_broker(settings.broker_url)
    loop, stage = process_loop(settings, db, broker, consumer=consumer_name(index))
    log.info("worker %d consuming", index)
    try:
        loop.run(stop)
    finally:
        log.info("worker %d stopping after %d stored", index, stage.stored_total)
        stage.close()
        broker.close()
        db.dispose()
