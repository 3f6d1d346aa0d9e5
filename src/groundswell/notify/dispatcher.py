"""The dispatcher: claim due deliveries, send them in parallel, record the outcome.

It owns its transactions (claim, then record) and runs outside the ingest pipeline and
outside the evaluator, so a slow or dead receiver delays only its own notifications.
Sends run on a small thread pool, each bounded by the sender's timeout.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.notify.queue import (
    RetryPolicy,
    claim_due,
    record_failure,
    record_sent,
)
from groundswell.notify.senders import (
    SENDERS,
    DeliveryConfig,
    DeliveryError,
    Outgoing,
    Sender,
)

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0


@dataclass
class Dispatcher:
    db: Database
    config: DeliveryConfig
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch_size: int = 20
    workers: int = 4
    senders: Mapping[str, Sender] = field(default_factory=lambda: dict(SENDERS))
    clock: Callable[[], datetime] = utcnow
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="groundswell-send")

    def _send(self, item: Outgoing) -> str | None:
        """Send one; ``None`` on success, else the error to record."""
        sender = self.senders.get(item.kind)
        if sender is None:
            return f"unknown target kind {item.kind!r}"
        try:
            sender(item, self.config)
        except DeliveryError as exc:
            return str(exc)
        except Exception as exc:
            log.exception("delivery %d (%s) raised", item.id, item.kind)
            return f"unexpected {type(exc).__name__}"
        return None

    def run_once(self) -> DispatchReport:
        """One round: claim up to ``batch_size`` due deliveries and settle each."""
        with self.db.session() as session:
            claimed = claim_due(
                session, now=self.clock(), limit=self.batch_size, policy=self.policy
            )
        report = DispatchReport()
        if not claimed:
            return report
        outcomes = list(zip(claimed, self._pool.map(self._send, claimed), strict=True))
        with self.db.session() as session:
            now = self.clock()
            for item, error in outcomes:
                if error is None:
                    record_sent(session, delivery_id=item.id, now=now)
                    report.sent += 1
                    continue
                status = record_failure(
                    session,
                    delivery_id=item.id,
                    error=error,
                    now=now,
                    policy=self.policy,
                    rng=self.rng,
                )
                if status == "dead":
                    report.dead += 1
                    log.error("delivery %d (%s) is dead: %s", item.id, item.kind, error)
                else:
                    report.failed += 1
                    log.warning("delivery %d (%s) failed: %s", item.id, item.kind, error)
        return report

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
