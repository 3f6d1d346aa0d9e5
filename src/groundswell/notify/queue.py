"""Claiming due deliveries and recording how their attempt went.

A claim pushes ``next_attempt_at`` forward by a lease and counts the attempt, inside a
short transaction that commits before anything is sent. Sending therefore holds no
lock and no transaction open; a dispatcher that dies mid-send leaves the row due again
once the lease ends (at-least-once, with the delivery id in the webhook so receivers can
drop a duplicate). On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several dispatchers
claim side by side without ever taking the same row; SQLite has one writer at a time,
so the claim takes the write lock first and claims run one after another.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from groundswell.notify.models import Delivery, WebhookSubscription
from groundswell.notify.senders import Outgoing

DUE_STATUSES = ("pending", "failed")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay_s: float = 30.0
    max_delay_s: float = 3600.0
    lease_s: float = 120.0
    """How long a claimed delivery is hidden from other dispatchers while it is sent."""

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """Exponential back-off with jitter (between half and all of the step), so many
        deliveries that failed together do not all come back in the same second."""
        step = min(self.max_delay_s, self.base_delay_s * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=step * (0.5 + rng.random() / 2))


def take_write_lock(session: Session) -> None:
    """On SQLite, start the transaction as the writer so a read cannot go stale."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE alert_deliveries SET attempts = attempts WHERE 1 = 0"))


def claim_due(
    session: Session, *, now: datetime, limit: int, policy: RetryPolicy
) -> list[Outgoing]:
    take_write_lock(session)
    stmt = (
        select(Delivery)
        .where(Delivery.status.in_(DUE_STATUSES), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = []
    for row in session.scalars(stmt).all():
        salt = None
        if row.subscription_id is not None:
            subscription = session.get(WebhookSubscription, row.subscription_id)
            if subscription is None or not subscription.active:
                row.status = "dead"
                row.last_error = "the subscription was deleted or paused before sending"
                continue
            salt = subscription.secret_salt
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=policy.lease_s)
        claimed.append(
            Outgoing(
                id=row.id,
                kind=row.kind,
                target=row.target,
                event=row.event,
                payload=dict(row.payload or {}),
                secret_salt=salt,
            )
        )
    session.flush()
    return claimed


def record_sent(session: Session, *, delivery_id: int, now: datetime) -> None:
    row = session.get(Delivery, delivery_id)
    if row is not None:
        row.status, row.sent_at, row.last_error = "sent", now, None


def record_failure(
    session: Session,
    *,
    delivery_id: int,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
) -> str:
    """Schedule the next attempt, or mark the delivery dead; returns the new status."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        return "gone"
    row.last_error = f"attempt {row.attempts}: {error}"[:1000]
    if row.attempts >= policy.max_attempts:
        row.status = "dead"
    else:
        row.status = "failed"
        row.next_attempt_at = now + policy.delay(row.attempts, rng)
    return row.status
