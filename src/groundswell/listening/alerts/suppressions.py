"""Suppression windows: periods in which a subject (and metric) opens no new alert.

Used for planned events (a launch, maintenance) and after an alert has been handled.
A window also silences notifications of an episode already under way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.alerts.models import AlertSuppression
from groundswell.listening.alerts.schemas import SuppressionCreate, SuppressionRead
from groundswell.listening.models import Subject


def list_suppressions(
    session: Session, *, active_only: bool = False, now: datetime | None = None
) -> list[SuppressionRead]:
    stmt = select(AlertSuppression).order_by(AlertSuppression.until.desc(), AlertSuppression.id)
    if active_only:
        stmt = stmt.where(AlertSuppression.until > (now or utcnow()))
    return [SuppressionRead.model_validate(w) for w in session.scalars(stmt)]


def create_suppression(
    session: Session,
    *,
    data: SuppressionCreate,
    user_id: int | None,
    now: datetime | None = None,
) -> SuppressionRead:
    now = now or utcnow()
    if data.until <= now:
        raise InvalidInputError("until must be in the future", field="until")
    if data.subject_id is not None and session.get(Subject, data.subject_id) is None:
        raise InvalidInputError(f"no subject #{data.subject_id}", field="subject_id")
    window = AlertSuppression(
        subject_id=data.subject_id,
        metric=data.metric,
        starts_at=data.starts_at or now,
        until=data.until,
        reason=data.reason,
        created_by=user_id,
        created_at=now,
    )
    session.add(window)
    session.flush()
    return SuppressionRead.model_validate(window)


def delete_suppression(session: Session, *, suppression_id: int) -> None:
    window = session.get(AlertSuppression, suppression_id)
    if window is None:
        raise NotFoundError("suppression", suppression_id)
    session.delete(window)
    session.flush()
