"""Managing digest subscriptions (services: take a session, never commit)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.analytics.digest.models import DigestSubscription
from groundswell.analytics.digest.schemas import SubscriptionCreate, SubscriptionRead
from groundswell.analytics.digest.service import DIGEST_KINDS, digest_subject
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.models import Subject

MAX_SUBSCRIPTIONS = 500


def _read(row: DigestSubscription, name: str) -> SubscriptionRead:
    return SubscriptionRead.model_validate(row).model_copy(update={"subject_name": name})


def list_subscriptions(session: Session) -> list[SubscriptionRead]:
    rows = session.execute(
        select(DigestSubscription, Subject.name)
        .join(Subject, Subject.id == DigestSubscription.subject_id)
        .order_by(DigestSubscription.email, DigestSubscription.id)
        .limit(MAX_SUBSCRIPTIONS)
    ).all()
    return [_read(row, name) for row, name in rows]


def own_subscription(session: Session, email: str) -> SubscriptionRead | None:
    """The first active subscription sent to ``email``: the digest its reader gets, and so
    the one the digest page opens on for them (addresses are stored in lower case)."""
    row = session.execute(
        select(DigestSubscription, Subject.name)
        .join(Subject, Subject.id == DigestSubscription.subject_id)
        .where(
            DigestSubscription.email == email.strip().lower(),
            DigestSubscription.active,
            Subject.kind.in_(DIGEST_KINDS),  # a subject since turned into a topic has none
        )
        .order_by(DigestSubscription.id)
        .limit(1)
    ).first()
    return _read(row[0], row[1]) if row else None


def create_subscription(
    session: Session, data: SubscriptionCreate, *, created_by: int | None
) -> SubscriptionRead:
    subject = digest_subject(session, data.subject_id)
    taken = session.scalar(
        select(DigestSubscription.id).where(
            DigestSubscription.email == data.email,
            DigestSubscription.subject_id == data.subject_id,
            DigestSubscription.period == data.period,
        )
    )
    if taken is not None:
        raise InvalidInputError(
            "this recipient already gets this brand's digest for this period", field="email"
        )
    row = DigestSubscription(
        email=data.email,
        subject_id=subject.id,
        period=data.period,
        send_hour=data.send_hour,
        timezone=data.timezone,
        active=True,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return _read(row, subject.name)


def delete_subscription(session: Session, subscription_id: int) -> None:
    row = session.get(DigestSubscription, subscription_id)
    if row is None:
        raise NotFoundError("subscription", subscription_id)
    session.delete(row)
