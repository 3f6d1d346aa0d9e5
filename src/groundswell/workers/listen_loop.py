"""The listening loop: spike evaluation at each closed minute and alert delivery.

Two threads, so a receiver that is slow or never answers delays only notifications,
never the evaluation of the next minute (and neither ever runs inside the ingest
pipeline). The evaluator thread wakes every few seconds and does work only when a new
minute has closed; the dispatcher thread sends whatever deliveries are due.

Several processes may run the loop against one database: the evaluator takes a lock
per tick and the dispatcher claims deliveries with ``SKIP LOCKED``, so nothing is judged
or sent twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from groundswell.all_models import load_all_models
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.listening.detection.params import DetectorParams
from groundswell.listening.evaluator import EvaluationReport, evaluate, last_closed_minute
from groundswell.notify.dispatcher import Dispatcher
from groundswell.notify.senders import DeliveryConfig
from groundswell.settings import Settings

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0


class ListenLoop:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        evaluate_every_s: float = 5.0,
        dispatch_every_s: float = 2.0,
        clock: Callable[[], datetime] = utcnow,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        load_all_models()  # alerts refer to users and subjects: their tables must be known
        self.db = db
        self.clock = clock
        self.evaluate_every_s = evaluate_every_s
        self.dispatch_every_s = dispatch_every_s
        self.dispatcher = dispatcher or Dispatcher(
            db, DeliveryConfig.from_settings(settings), clock=clock
        )
        self.detector_params = DetectorParams(warmup_minutes=settings.detector_warmup_minutes)
        self._done_through: datetime | None = None
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._evaluate_loop, name="groundswell-evaluate", daemon=True),
            threading.Thread(target=self._dispatch_loop, name="groundswell-dispatch", daemon=True),
        ]

    def evaluate_once(self) -> EvaluationReport | None:
        """Judge the newly closed minutes; None when no minute closed since last time."""
        now = self.clock()
        closed = last_closed_minute(now)
        if self._done_through is not None and closed <= self._done_through:
            return None
        with self.db.session() as session:
            report = evaluate(session, now=now, detector_params=self.detector_params)
        if report.skipped is None:
            # Done only through what was judged: a minute held back for the ingest
            # watermark is judged on a later tick, not when the next minute closes.
            self._done_through = report.judged_through or closed
        life = report.lifecycle
        if life.opened or life.escalated or life.resolved:
            log.info(
                "minute %s: %d alerts opened, %d escalated, %d resolved, %d deliveries queued",
                closed.strftime("%H:%M"),
                life.opened,
                life.escalated,
                life.resolved,
                life.deliveries,
            )
        return report

    def _repeat(self, work: Callable[[], object], every_s: float, what: str) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            try:
                work()
            except Exception:
                backoff = min(max(backoff * 2, 1.0), MAX_BACKOFF_S)
                log.exception("%s failed; trying again in %.0f s", what, backoff)
                self._stop.wait(backoff)
                continue
            backoff = 0.0
            self._stop.wait(every_s)

    def _evaluate_loop(self) -> None:
        self._repeat(self.evaluate_once, self.evaluate_every_s, "spike evaluation")

    def _dispatch_loop(self) -> None:
        self._repeat(self.dispatcher.run_once, self.dispatch_every_s, "alert delivery")

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)
        self.dispatcher.close()

    def run(self, stop: threading.Event) -> None:
        """Run in the foreground until ``stop`` is set (the ``listening run`` command)."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()
