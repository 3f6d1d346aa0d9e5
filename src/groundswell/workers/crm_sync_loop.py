"""The CRM sync loop: run each enabled CRM connection when it is due.

Runs beside the pipeline (inside ``serve``'s embedded worker, or ``groundswell crm-sync
run --loop``). A connection is due ``crm_sync_interval_seconds`` after its last run, or
later after a failure (back-off, a rate limit's wait); the claim in ``SyncRunner`` keeps
two loops from running the same connection at once.
"""

from __future__ import annotations

import logging
import threading

from groundswell.core.db import Database
from groundswell.crmsync.engine import SyncRunner
from groundswell.crmsync.schemas import SyncReport
from groundswell.settings import Settings

log = logging.getLogger(__name__)


class CrmSyncLoop:
    def __init__(
        self, settings: Settings, db: Database, *, wake_every_s: float | None = None
    ) -> None:
        self.runner = SyncRunner(settings, db)
        self.wake_every_s = wake_every_s or min(5.0, settings.crm_sync_interval_seconds)
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gs-crm-sync", daemon=True)

    def run_due(self) -> list[SyncReport]:
        reports = self.runner.run_all()
        for r in reports:
            if r.status != "skipped":
                self.runs += 1
                log.info(
                    "CRM sync %s: %s, pushed %d, read %d, applied %d, conflicts %d",
                    r.connection,
                    r.status,
                    r.pushed,
                    r.pulled,
                    r.applied,
                    r.conflicts,
                )
        return reports

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:
                log.exception("CRM sync round failed; trying again")
            self._stop.wait(self.wake_every_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
