"""The scheduler tick: queue each subscriber's due digest, once per period.

For every active subscription, the period due now in the recipient's zone (yesterday
from the send hour on; last week from Monday's send hour on). The digest is built first,
then a ``digest_sends`` row and the outbox e-mail are inserted in one savepoint: the
unique (subscription, period start) makes the second of two workers, or a restarted
one, fail that insert and skip. notify's dispatcher then delivers the e-mail with its
retries. A subscription created after a period ended does not get that period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from groundswell.analytics.digest.charts import charts
from groundswell.analytics.digest.email import email_payload
from groundswell.analytics.digest.models import DigestSend, DigestSubscription
from groundswell.analytics.digest.period import Period, PeriodKind, due_period
from groundswell.analytics.digest.service import build_digest
from groundswell.notify.models import Delivery

log = logging.getLogger(__name__)

MAX_PER_TICK = 50


@dataclass(frozen=True, slots=True)
class Due:
    subscription_id: int
    period: Period


def due_digests(session: Session, *, now: datetime, limit: int = MAX_PER_TICK) -> list[Due]:
    """Subscriptions whose current period has not been queued yet."""
    found: list[Due] = []
    subs = session.scalars(
        select(DigestSubscription)
        .where(DigestSubscription.active.is_(True))
        .order_by(DigestSubscription.id)
    ).all()
    for sub in subs:
        period = due_period(
            cast(PeriodKind, sub.period), send_hour=sub.send_hour, tz=sub.timezone, now=now
        )
        if period.end <= sub.created_at:
            continue
        sent = session.scalar(
            select(DigestSend.id).where(
                DigestSend.subscription_id == sub.id, DigestSend.period_start == period.start
            )
        )
        if sent is None:
            found.append(Due(sub.id, period))
        if len(found) >= limit:
            break
    return found


def queue_digest(session: Session, due: Due, *, now: datetime, base_url: str) -> bool:
    """Build and queue one digest e-mail; False when another worker queued it first."""
    sub = session.get(DigestSubscription, due.subscription_id)
    if sub is None or not sub.active:
        return False
    digest = build_digest(
        session,
        subject_id=sub.subject_id,
        period=cast(PeriodKind, sub.period),
        day=due.period.first_day,
        tz=sub.timezone,
        now=now,
    )
    payload = email_payload(digest, charts(digest), base_url=base_url)
    try:
        with session.begin_nested():
            delivery = Delivery(
                event="digest", kind="email", target=sub.email, payload=payload, next_attempt_at=now
            )
            session.add(delivery)
            session.flush()
            session.add(
                DigestSend(
                    subscription_id=sub.id,
                    period_start=due.period.start,
                    period_end=due.period.end,
                    delivery_id=delivery.id,
                    created_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        log.info("digest %d for %s was queued elsewhere", sub.id, due.period.start)
        return False
    return True
