"""The digest scheduler: once a minute, queue the digests that are due.

Each digest is built and queued in a transaction of its own, so one brand's failure
does not hold back the others; the e-mails go out through notify's dispatcher (the
listening loop's), which retries them. Running it on several processes is safe: the
unique period row lets only one of them queue a period.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from groundswell.analytics.digest.schedule import due_digests, queue_digest
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.settings import Settings

log = logging.getLogger(__name__)


class DigestLoop:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        every_s: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.db = db
        self.every_s = every_s
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gs-digest", daemon=True)

    def tick(self) -> int:
        """Queue every due digest; returns how many were queued by this process."""
        now = self.clock()
        with self.db.session() as session:
            due = due_digests(session, now=now)
        queued = 0
        for item in due:
            try:
                with self.db.session() as session:
                    if queue_digest(
                        session, item, now=now, base_url=self.settings.public_url.rstrip("/")
                    ):
                        queued += 1
            except Exception:
                log.exception("digest of subscription %d failed", item.subscription_id)
        if queued:
            log.info("queued %d digest e-mail(s)", queued)
        return queued

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("digest tick failed; trying again")
            self._stop.wait(self.every_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
