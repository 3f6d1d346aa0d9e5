"""Reading notification deliveries and retrying a dead one by hand.

A delivery that gave up (``dead``) stays visible with its last error until someone
retries it; nothing is dropped silently.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.alerts.models import AlertDelivery
from groundswell.listening.alerts.schemas import DeliveryFilter, DeliveryPage, DeliveryRead


def mask_target(kind: str, target: str) -> str:
    """Show where a delivery went without its secret: Slack and many webhook receivers
    put their token in the URL path or query, so only scheme and host are shown."""
    if kind not in ("webhook", "slack"):
        return target
    parts = urlsplit(target)
    tail = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{tail}"


def _read(row: AlertDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=row.id,
        alert_id=row.alert_id,
        rule_id=row.rule_id,
        event=row.event,
        kind=row.kind,
        target=mask_target(row.kind, row.target),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def list_deliveries(session: Session, *, filters: DeliveryFilter) -> DeliveryPage:
    # The outbox (notify) also carries SLA and rule notifications: alerts list their own.
    stmt = select(AlertDelivery).where(AlertDelivery.alert_id.is_not(None))
    count = (
        select(func.count()).select_from(AlertDelivery).where(AlertDelivery.alert_id.is_not(None))
    )
    if filters.status is not None:
        stmt = stmt.where(AlertDelivery.status == filters.status)
        count = count.where(AlertDelivery.status == filters.status)
    if filters.alert_id is not None:
        stmt = stmt.where(AlertDelivery.alert_id == filters.alert_id)
        count = count.where(AlertDelivery.alert_id == filters.alert_id)
    stmt = stmt.order_by(AlertDelivery.id.desc()).limit(filters.limit).offset(filters.offset)
    return DeliveryPage(
        items=[_read(r) for r in session.scalars(stmt)],
        total=int(session.scalar(count) or 0),
        limit=filters.limit,
        offset=filters.offset,
    )


def list_deliveries_of(session: Session, *, alert_id: int) -> list[DeliveryRead]:
    rows = session.scalars(
        select(AlertDelivery).where(AlertDelivery.alert_id == alert_id).order_by(AlertDelivery.id)
    )
    return [_read(r) for r in rows]


def retry_delivery(
    session: Session, *, delivery_id: int, now: datetime | None = None
) -> DeliveryRead:
    """Give a dead (or failed) delivery a fresh set of attempts, due at once."""
    row = session.get(AlertDelivery, delivery_id)
    if row is None:
        raise NotFoundError("delivery", delivery_id)
    if row.status not in ("dead", "failed"):
        raise InvalidInputError(
            f"delivery #{delivery_id} is {row.status}; only failed or dead ones are retried",
            field="status",
        )
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now or utcnow()
    session.flush()
    return _read(row)
