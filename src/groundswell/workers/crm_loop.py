"""The customer-record loop: match new contacts, make leads, refit customer value when due.

Runs beside the pipeline (the embedded worker, ``groundswell worker``) rather than inside
the ingest transaction: matching reads blocking keys across the store and a refit reads
every purchase, and neither should slow the stage that stores posts. Each round is one
transaction, so a crash loses at most a round that the next one redoes.
"""

from __future__ import annotations

import logging
import threading

from groundswell.core.db import Database
from groundswell.crm.clv.service import refit, refit_due
from groundswell.crm.leads import PromoteReport, promote_leads
from groundswell.crm.matching.schemas import MatchReport
from groundswell.crm.matching.service import match_pending
from groundswell.settings import Settings

log = logging.getLogger(__name__)

MATCH_BATCH = 500
"""New contacts matched per write transaction. Matching holds SQLite's write lock while it
reads blocking keys and scores pairs; 5,000 contacts at once (the demo's first rounds,
an import) held it for 2.1–2.5 s, stalling the pipeline's writer that long."""
BETWEEN_BATCHES_S = 0.05


class CrmLoop:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        match_every_s: float = 5.0,
        refit_every_s: float = 600.0,
        match_batch: int = MATCH_BATCH,
    ) -> None:
        self.settings = settings
        self.db = db
        self.match_every_s = match_every_s
        self.match_batch = max(1, match_batch)
        self.refit_every_s = refit_every_s
        self._stop = threading.Event()
        self.leads_after_id = 0
        """Interactions up to this id were looked at for leads (0 after a restart: the
        rescan is idempotent)."""
        self._thread = threading.Thread(target=self._run, name="gs-crm", daemon=True)

    def match_once(self) -> MatchReport:
        """Match at most ``match_batch`` new contacts in one write transaction."""
        with self.db.session(write=True) as session:
            return match_pending(
                session,
                auto_threshold=self.settings.identity_auto_merge_threshold,
                review_threshold=self.settings.identity_review_threshold,
                limit=self.match_batch,
            )

    def next_wait(self, report: MatchReport) -> float:
        """A full batch means more contacts are waiting: go on after a short pause that
        lets other writers in, instead of a whole interval."""
        return BETWEEN_BATCHES_S if report.contacts >= self.match_batch else self.match_every_s

    def leads_once(self) -> PromoteReport:
        """One batch of purchase-intent posts into leads, after matching has linked them."""
        with self.db.session(write=True) as session:
            report = promote_leads(session, after_id=self.leads_after_id)
        self.leads_after_id = report.last_id
        return report

    def refit_if_due(self) -> bool:
        with self.db.session() as session:
            if not refit_due(session, interval_hours=self.settings.clv_refit_interval_hours):
                return False
            refit(
                session,
                horizon_weeks=self.settings.clv_horizon_weeks,
                annual_discount_rate=self.settings.clv_annual_discount_rate,
                triggered_by="schedule",
            )
            return True

    def _run(self) -> None:
        waited = self.refit_every_s
        while not self._stop.is_set():
            wait = self.match_every_s
            try:
                report = self.match_once()
                wait = self.next_wait(report)
                if report.contacts:
                    log.info(
                        "identity matching: %d contacts, %d candidates, %d merged",
                        report.contacts,
                        report.candidates,
                        report.merged,
                    )
                leads = self.leads_once()
                if leads.created:
                    log.info("leads: %d new from purchase-intent posts", leads.created)
                if waited >= self.refit_every_s:
                    waited = 0.0
                    if self.refit_if_due():
                        log.info("customer value refitted on schedule")
            except Exception:
                log.exception("customer-record round failed; trying again")
            self._stop.wait(wait)
            waited += wait

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
