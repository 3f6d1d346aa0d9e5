"""Managing webhook subscriptions and reading their delivery log.

The URL passes the outbound guard when saved (a clear 422) and again before each send.
Every change clears this process's subscription cache so ``emit`` sees it at once.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError
from groundswell.notify.events import EVENT_KIND, invalidate_cache
from groundswell.notify.models import Delivery, WebhookSubscription
from groundswell.notify.schemas import (
    EventDeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)
from groundswell.notify.secrets import subscription_secret


def _check_url(url: str, outbound: OutboundPolicy) -> None:
    try:
        outbound.check_url(url, must_resolve=False)
    except OutboundRefusedError as exc:
        raise InvalidInputError(str(exc), field="url") from None


def create_subscription(
    session: Session,
    *,
    data: SubscriptionCreate,
    outbound: OutboundPolicy,
    instance_key: bytes,
    created_by: str | None,
) -> SubscriptionCreated:
    _check_url(data.url, outbound)
    row = WebhookSubscription(
        name=data.name.strip(),
        url=data.url,
        event_types=list(data.event_types),
        secret_salt=secrets.token_hex(16),
        active=data.active,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    invalidate_cache()
    read = SubscriptionRead.model_validate(row)
    return SubscriptionCreated(
        **read.model_dump(), secret=subscription_secret(instance_key, row.secret_salt)
    )


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFoundError("webhook subscription", subscription_id)
    return row


def list_subscriptions(session: Session) -> list[SubscriptionRead]:
    rows = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
    return [SubscriptionRead.model_validate(r) for r in rows]


def update_subscription(
    session: Session, *, subscription_id: int, data: SubscriptionUpdate
) -> SubscriptionRead:
    row = get_subscription(session, subscription_id)
    if data.name is not None:
        row.name = data.name.strip()
    if data.event_types is not None:
        row.event_types = list(data.event_types)
    if data.active is not None:
        row.active = data.active
    session.flush()
    invalidate_cache()
    return SubscriptionRead.model_validate(row)


def delete_subscription(session: Session, *, subscription_id: int) -> SubscriptionRead:
    """Deletes the subscription and its delivery log."""
    row = get_subscription(session, subscription_id)
    read = SubscriptionRead.model_validate(row)
    session.execute(delete(Delivery).where(Delivery.subscription_id == row.id))
    session.delete(row)
    session.flush()
    invalidate_cache()
    return read


def list_event_deliveries(
    session: Session,
    *,
    subscription_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[EventDeliveryRead]:
    """Newest first: each delivery's status, attempts and last error."""
    query = select(Delivery).where(Delivery.kind == EVENT_KIND)
    if subscription_id is not None:
        query = query.where(Delivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    query = query.order_by(Delivery.id.desc()).limit(limit).offset(offset)
    return [EventDeliveryRead.model_validate(r) for r in session.scalars(query)]


def delivery_counts(session: Session) -> dict[str, int]:
    """Event deliveries by status (for the page header)."""
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.kind == EVENT_KIND)
        .group_by(Delivery.status)
    ).all()
    return {str(s): int(n) for s, n in rows}
