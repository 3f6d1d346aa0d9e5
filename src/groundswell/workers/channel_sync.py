"""Keep the process-wide connector registry in step with the channel accounts.

``serve`` beside separate workers runs no connector runner, yet the composer checks each
reply against its channel's capabilities before queueing it: this thread registers the
connected accounts' connectors there, and follows an admin's changes within a period.
"""

from __future__ import annotations

import logging
import threading

from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.registry import registry as process_registry
from groundswell.channels.runtime.bootstrap import ConfiguredConnectors
from groundswell.core.db import Database
from groundswell.settings import Settings

log = logging.getLogger(__name__)


class ChannelSync:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        registry: ConnectorRegistry | None = None,
        every_s: float = 30.0,
    ) -> None:
        self.configured = ConfiguredConnectors(db, settings, registry or process_registry)
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gs-channel-sync", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.configured.refresh()
            except Exception:
                log.exception("channel registration failed; trying again")
            self._stop.wait(self.every_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self.configured.close()
