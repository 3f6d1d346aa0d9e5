"""The worker as a thread inside the web app, for the in-process broker."""

from __future__ import annotations

import logging
import threading

from groundswell.core.brokers import Broker
from groundswell.core.db import Database
from groundswell.settings import Settings
from groundswell.workers.connectors import ConnectorRunner
from groundswell.workers.crm_loop import CrmLoop
from groundswell.workers.crm_sync_loop import CrmSyncLoop
from groundswell.workers.digest_loop import DigestLoop
from groundswell.workers.engage_loop import EngageLoop
from groundswell.workers.listen_loop import ListenLoop
from groundswell.workers.loops import consumer_name, process_loop

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, settings: Settings, db: Database, broker: Broker) -> None:
        self.broker = broker
        self.loop, self.stage = process_loop(settings, db, broker, consumer=consumer_name())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="groundswell-worker", daemon=True)
        self.listen = ListenLoop(settings, db)
        self.connectors: ConnectorRunner | None = None
        if settings.connectors_enabled:
            self.connectors = ConnectorRunner(settings, db, broker)
        self.engage = EngageLoop(settings, db, broker)
        self.crm = CrmLoop(settings, db)
        self.digest = DigestLoop(settings, db)
        self.crm_sync = CrmSyncLoop(settings, db)

    def _run(self) -> None:
        log.info("embedded worker started")
        self.loop.run(self._stop)

    def start(self) -> None:
        self._thread.start()
        self.listen.start()
        if self.connectors is not None:
            self.connectors.start()
        self.engage.start()
        self.crm.start()
        self.digest.start()
        self.crm_sync.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.broker.wake_readers()
        if self.connectors is not None:
            self.connectors.stop(timeout)
        self.listen.stop(timeout)
        self.engage.stop(timeout)
        self.crm.stop(timeout)
        self.digest.stop(timeout)
        self.crm_sync.stop(timeout)
        self._thread.join(timeout)
        self.stage.close()
