"""Backfills running in the background of the web process, with their progress.

Saving a subject must answer at once, while re-matching a million stored posts takes a
while: the backfill runs in a thread and the pages poll its progress. The registry is in
memory and per process, which fits the embedded set-up; with several web processes,
progress is visible on the one that started the job (the data it writes is shared), and
``groundswell listening backfill`` does the same from a shell with a progress bar.
A newer request for the same subject cancels the older job between batches, then runs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.listening.backfill import BackfillCancelled, run_backfill

log = logging.getLogger(__name__)

BackfillState = Literal["idle", "running", "done", "failed", "cancelled"]


class BackfillStatus(BaseModel):
    """Progress of a subject's latest backfill in this process (``idle``: none yet)."""

    subject_id: int
    state: BackfillState
    scanned: int
    total: int
    percent: float
    matched: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


@dataclass
class _Job:
    subject_id: int
    cancel: threading.Event = field(default_factory=threading.Event)
    state: BackfillState = "running"
    scanned: int = 0
    total: int = 0
    matched: int = 0
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    error: str | None = None
    thread: threading.Thread | None = None

    def status(self) -> BackfillStatus:
        if self.state == "done":
            percent = 100.0
        else:
            percent = round(100.0 * self.scanned / self.total, 1) if self.total else 0.0
        return BackfillStatus(
            subject_id=self.subject_id,
            state=self.state,
            scanned=self.scanned,
            total=self.total,
            percent=percent,
            matched=self.matched,
            started_at=self.started_at,
            finished_at=self.finished_at,
            error=self.error,
        )


class BackfillJobs:
    """Background backfills keyed by (database URL, subject id)."""

    def __init__(self, *, batch_size: int | None = None) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, int], _Job] = {}
        self.batch_size = batch_size

    @staticmethod
    def _key(db: Database, subject_id: int) -> tuple[str, int]:
        return (db.settings.database_url, subject_id)

    def start(self, db: Database, subject_id: int) -> BackfillStatus:
        """Start (or restart) the subject's backfill; returns at once."""
        job = _Job(subject_id=subject_id)
        with self._lock:
            previous = self._jobs.get(self._key(db, subject_id))
            if previous is not None:
                previous.cancel.set()
            self._jobs[self._key(db, subject_id)] = job
        job.thread = threading.Thread(
            target=self._run,
            args=(db, job, previous),
            name=f"backfill-subject-{subject_id}",
            daemon=True,
        )
        job.thread.start()
        return job.status()

    def status(self, db: Database, subject_id: int) -> BackfillStatus:
        with self._lock:
            job = self._jobs.get(self._key(db, subject_id))
        if job is None:
            return BackfillStatus(
                subject_id=subject_id,
                state="idle",
                scanned=0,
                total=0,
                percent=0.0,
                matched=0,
                started_at=None,
                finished_at=None,
                error=None,
            )
        return job.status()

    def running(self, db: Database) -> list[BackfillStatus]:
        with self._lock:
            jobs = [j for (url, _), j in self._jobs.items() if url == db.settings.database_url]
        return [j.status() for j in jobs if j.state == "running"]

    def wait(self, db: Database, subject_id: int, timeout: float = 60.0) -> BackfillStatus:
        """Block until the subject's job ends (commands and tests)."""
        with self._lock:
            job = self._jobs.get(self._key(db, subject_id))
        if job is not None and job.thread is not None:
            job.thread.join(timeout)
        return self.status(db, subject_id)

    def _run(self, db: Database, job: _Job, previous: _Job | None) -> None:
        if previous is not None and previous.thread is not None:
            previous.thread.join()

        def progress(scanned: int, total: int) -> None:
            job.scanned, job.total = scanned, total

        try:
            kwargs = {"batch_size": self.batch_size} if self.batch_size else {}
            counts = run_backfill(
                db,
                subject_id=job.subject_id,
                progress=progress,
                should_stop=job.cancel.is_set,
                **kwargs,
            )
            job.matched = counts.matched
            job.state = "done"
        except BackfillCancelled:
            job.state = "cancelled"
        except Exception as exc:
            log.exception("backfill of subject %s failed", job.subject_id)
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        finally:
            job.finished_at = utcnow()


JOBS = BackfillJobs()
"""The process's registry; pages and API routes share it."""
