"""The reply sender: posts queued replies through their channel's connector, exactly once.

Each reply is first moved to ``sending`` in its own committed transaction, then posted,
then recorded ``sent`` in another. A crash between the post and the last commit leaves
the row ``sending``; once its lease ends the sender asks the connector (``lookup_sent``)
whether the network already has it (by the idempotency key) before any resend, so a
reply is never posted twice. A network that cannot tell marks the reply ``needs_check``
for a person instead of risking a duplicate. Retries back off exponentially with jitter.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.base import SendError
from groundswell.channels.registry import ConnectorRegistry, UnknownChannel
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.engagement import replies
from groundswell.workers.reauth_alerts import mark_needs_reauth

REAUTH_PREFIX = "needs re-auth"
"""How every connector's ``SendError`` says the network refused the credentials."""

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reconciled: int = 0
    needs_check: int = 0


@dataclass
class ReplySender:
    db: Database
    registry: ConnectorRegistry
    max_attempts: int = 6
    base_delay_s: float = 5.0
    max_delay_s: float = 900.0
    batch_size: int = 20
    clock: Callable[[], datetime] = utcnow
    rng: random.Random = field(default_factory=random.Random)
    email: bool = False
    """Also e-mail admins when a channel needs re-auth (SMTP is configured)."""

    def _delay(self, attempts: int, hint: float | None) -> timedelta:
        step = min(self.max_delay_s, self.base_delay_s * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=max(hint or 0.0, step * (0.5 + self.rng.random() / 2)))

    def reconcile(self, report: SendReport) -> None:
        """In-doubt replies: already on the network → sent; not there → queued again."""
        now = self.clock()
        with self.db.session() as session:
            rows = [
                (r.id, replies.to_reply(r), r.attempts)
                for r in replies.in_doubt(session, now=now, limit=self.batch_size)
            ]
        for reply_id, reply, _attempts in rows:
            try:
                found = self.registry.get(reply.channel).lookup_sent(reply)
            except (SendError, UnknownChannel) as exc:
                with self.db.session() as session:
                    replies.mark_failed(
                        session,
                        reply_id=reply_id,
                        reason=f"in doubt and the network cannot tell: {exc}",
                        retry_at=None,
                        now=now,
                        needs_check=True,
                    )
                report.needs_check += 1
                continue
            with self.db.session() as session:
                if found is not None:
                    replies.mark_sent(
                        session,
                        reply_id=reply_id,
                        external_id=found.external_id,
                        url=found.url,
                        now=now,
                    )
                    report.reconciled += 1
                else:
                    replies.mark_failed(
                        session,
                        reply_id=reply_id,
                        reason="in doubt, not on the network: resending",
                        retry_at=now,
                        now=now,
                    )

    def send_due(self, report: SendReport) -> None:
        now = self.clock()
        with self.db.session() as session:
            claimed = [
                (r.id, replies.to_reply(r), r.attempts)
                for r in replies.claim_due(session, now=now, limit=self.batch_size)
            ]
        for reply_id, reply, attempts in claimed:
            self._send_one(reply_id, reply, attempts, report)

    def _send_one(self, reply_id: int, reply: object, attempts: int, report: SendReport) -> None:
        from groundswell.channels.base import Reply

        assert isinstance(reply, Reply)
        try:
            result = self.registry.get(reply.channel).send_reply(reply)
        except UnknownChannel as exc:
            with self.db.session() as session:
                replies.mark_failed(
                    session, reply_id=reply_id, reason=str(exc), retry_at=None, now=self.clock()
                )
            report.failed += 1
            return
        except SendError as exc:
            now = self.clock()
            retry = exc.retryable and attempts < self.max_attempts
            with self.db.session() as session:
                if exc.reason.startswith(REAUTH_PREFIX):
                    self._needs_reauth(session, reply.channel, exc.reason)
                replies.mark_failed(
                    session,
                    reply_id=reply_id,
                    reason=exc.reason,
                    retry_at=now + self._delay(attempts, exc.retry_after) if retry else None,
                    now=now,
                )
            if retry:
                report.retried += 1
            else:
                report.failed += 1
            return
        self.after_network_call(reply_id)
        with self.db.session() as session:
            replies.mark_sent(
                session,
                reply_id=reply_id,
                external_id=result.external_id,
                url=result.url,
                now=self.clock(),
            )
        report.sent += 1

    def _needs_reauth(self, session: Session, channel: str, reason: str) -> None:
        """The network refused our credentials: the channel's admins are told once."""
        account_id = session.scalar(select(ChannelAccount.id).where(ChannelAccount.key == channel))
        if account_id is not None:
            mark_needs_reauth(session, account_id=account_id, reason=reason, email=self.email)

    def after_network_call(self, reply_id: int) -> None:
        """A seam between the post and its commit (the crash test stops the process here)."""

    def run_once(self) -> SendReport:
        report = SendReport()
        self.reconcile(report)
        self.send_due(report)
        return report


class SenderThread:
    def __init__(self, sender: ReplySender, *, every_s: float = 1.0) -> None:
        self.sender = sender
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="groundswell-replies", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sender.run_once()
            except Exception:
                log.exception("reply sender tick failed")
            self._stop.wait(self.every_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
