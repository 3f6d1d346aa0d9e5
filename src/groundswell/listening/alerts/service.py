"""Reading alerts and acting on them: acknowledge, assign, resolve, suppress.

Functions take a session and never commit. They return schemas with the names a
reader needs (subject, who acknowledged, who is assigned), never ORM rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from groundswell.auth.models import User
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.alerts.deliveries import list_deliveries_of
from groundswell.listening.alerts.models import Alert, AlertDelivery, AlertSuppression, Anomaly
from groundswell.listening.alerts.outbox import alert_metrics, announce, enqueue
from groundswell.listening.alerts.rules import load_active_rules
from groundswell.listening.alerts.schemas import (
    METRIC_LABELS,
    AlertDetail,
    AlertFilter,
    AlertPage,
    AlertRead,
    AnomalyRead,
    JoinedMetric,
    SuppressionRead,
    SuppressRequest,
    drilldown_path,
)
from groundswell.listening.models import ALL_POSTS, Subject
from groundswell.listening.series import ALL_POSTS_NAME

_Acker = aliased(User)
_Assignee = aliased(User)


_ALERT_ROWS = (
    select(
        Alert,
        func.coalesce(Subject.name, ALL_POSTS_NAME),
        _Acker.name,
        _Acker.email,
        _Assignee.name,
        _Assignee.email,
    )
    .outerjoin(Subject, Subject.id == Alert.subject_id)
    .outerjoin(_Acker, _Acker.id == Alert.acknowledged_by)
    .outerjoin(_Assignee, _Assignee.id == Alert.assigned_to)
)
"""An alert with its subject's name and the names of whoever acknowledged and owns it."""


def _read(row: Any) -> AlertRead:
    alert, subject, ack_name, ack_email, as_name, as_email = row
    return AlertRead(
        id=alert.id,
        subject_id=alert.subject_id,
        subject_name=subject,
        metric=alert.metric,
        metric_label=METRIC_LABELS.get(alert.metric, alert.metric),
        joined=[
            JoinedMetric(
                metric=metric,
                label=METRIC_LABELS.get(metric, metric),
                observed=values[0],
                expected=values[1],
            )
            for metric, values in (alert.joined or {}).items()
        ],
        metrics_label=" + ".join(
            METRIC_LABELS.get(m, m) if i == 0 else METRIC_LABELS.get(m, m).lower()
            for i, m in enumerate(alert_metrics(alert))
        ),
        status=alert.status,
        severity=alert.severity,
        started_at=alert.started_at,
        last_anomaly_at=alert.last_anomaly_at,
        resolved_at=alert.resolved_at,
        expected=alert.expected,
        observed=alert.observed,
        summary=alert.summary,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_by_name=ack_name or ack_email,
        acknowledged_at=alert.acknowledged_at,
        assigned_to=alert.assigned_to,
        assigned_to_name=as_name or as_email,
        drilldown_url=drilldown_path(alert.id),
    )


def list_alerts(session: Session, *, filters: AlertFilter) -> AlertPage:
    """Open and ongoing before resolved; within each, by ``filters.sort``: highest peak
    severity then newest anomaly (the default), or newest anomaly first."""
    stmt = _ALERT_ROWS
    count = select(func.count()).select_from(Alert)
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Alert.status.in_(filters.status))
    if filters.subject_id is not None:
        conditions.append(Alert.subject_id == filters.subject_id)
    if filters.metric is not None:
        # the metric it opened on, or one that joined it (a key of the JSON map; the
        # metric is one of METRICS, so it is safe in a pattern)
        joined = cast(Alert.joined, String).like(f'%"{filters.metric}"%')
        conditions.append(or_(Alert.metric == filters.metric, joined))
    for condition in conditions:
        stmt, count = stmt.where(condition), count.where(condition)
    resolved_last = (Alert.status == "resolved").asc()
    if filters.sort == "severity":
        stmt = stmt.order_by(
            resolved_last, Alert.severity.desc(), Alert.last_anomaly_at.desc(), Alert.id.desc()
        )
    else:
        stmt = stmt.order_by(resolved_last, Alert.last_anomaly_at.desc(), Alert.id.desc())
    rows = session.execute(stmt.limit(filters.limit).offset(filters.offset)).all()
    return AlertPage(
        items=[_read(r) for r in rows],
        total=int(session.scalar(count) or 0),
        limit=filters.limit,
        offset=filters.offset,
    )


def count_open(session: Session) -> int:
    stmt = select(func.count()).select_from(Alert).where(Alert.status.in_(("open", "ongoing")))
    return int(session.scalar(stmt) or 0)


def get_alert(session: Session, *, alert_id: int) -> AlertRead:
    row = session.execute(_ALERT_ROWS.where(Alert.id == alert_id)).first()
    if row is None:
        raise NotFoundError("alert", alert_id)
    return _read(row)


def get_alert_detail(session: Session, *, alert_id: int) -> AlertDetail:
    alert = get_alert(session, alert_id=alert_id)
    anomalies = session.scalars(
        select(Anomaly).where(Anomaly.alert_id == alert_id).order_by(Anomaly.minute)
    )
    return AlertDetail(
        **alert.model_dump(),
        anomalies=[AnomalyRead.model_validate(a) for a in anomalies],
        deliveries=list_deliveries_of(session, alert_id=alert_id),
    )


def _alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError("alert", alert_id)
    return alert


def acknowledge(
    session: Session, *, alert_id: int, user_id: int, now: datetime | None = None
) -> AlertRead:
    """Mark the alert seen. The first acknowledgement stands; repeating it is harmless."""
    alert = _alert(session, alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_by = user_id
        alert.acknowledged_at = now or utcnow()
        alert.updated_at = alert.acknowledged_at
    session.flush()
    return get_alert(session, alert_id=alert_id)


def assign(session: Session, *, alert_id: int, user_id: int | None) -> AlertRead:
    alert = _alert(session, alert_id)
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise InvalidInputError(f"no active user #{user_id}", field="user_id")
    alert.assigned_to = user_id
    alert.updated_at = utcnow()
    session.flush()
    return get_alert(session, alert_id=alert_id)


def resolve(session: Session, *, alert_id: int, now: datetime | None = None) -> AlertRead:
    """Close an episode by hand; those who were told it opened are told it is over.

    A spike that goes on after this opens a new episode; suppress to stop that.
    """
    alert = _alert(session, alert_id)
    if alert.status != "resolved":
        now = now or utcnow()
        alert.status, alert.resolved_at, alert.updated_at = "resolved", now, now
        subject = session.get(Subject, alert.subject_id)
        rules = [
            r
            for r in load_active_rules(session)
            if any(r.matches(alert.subject_id, m, alert.severity) for m in alert_metrics(alert))
        ]
        name = (
            subject.name
            if subject
            else ALL_POSTS_NAME
            if alert.subject_id == ALL_POSTS
            else f"subject #{alert.subject_id}"
        )
        announce(session, alert=alert, event="resolved", subject_name=name, now=now)
        enqueue(session, alert=alert, event="resolved", rules=rules, subject_name=name, now=now)
    session.flush()
    return get_alert(session, alert_id=alert_id)


def suppress(
    session: Session,
    *,
    alert_id: int,
    data: SuppressRequest,
    user_id: int | None,
    now: datetime | None = None,
) -> SuppressionRead:
    """No new alert for this subject (and metric) for a while, starting now."""
    alert = _alert(session, alert_id)
    now = now or utcnow()
    window = AlertSuppression(
        subject_id=alert.subject_id,
        # an episode that several metrics joined is silenced on all of them
        metric=None if data.all_metrics or alert.joined else alert.metric,
        starts_at=now,
        until=now + timedelta(minutes=data.minutes),
        reason=(data.reason or "").strip() or None,
        created_by=user_id,
        created_at=now,
    )
    session.add(window)
    session.flush()
    return SuppressionRead.model_validate(window)


def list_assignable_users(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(
        select(User.id, User.name, User.email).where(User.active.is_(True)).order_by(User.email)
    ).all()
    return [(uid, name or email) for uid, name, email in rows]


def delivery_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(AlertDelivery.status, func.count())
        .where(AlertDelivery.alert_id.is_not(None))
        .group_by(AlertDelivery.status)
    ).all()
    return {status: int(n) for status, n in rows}


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
    return {status: int(n) for status, n in rows}


def fingerprint(session: Session) -> str:
    """Changes whenever any alert is added or changed: lets a poller skip a redraw."""
    count, last_id, last_change = session.execute(
        select(func.count(), func.max(Alert.id), func.max(Alert.updated_at))
    ).one()
    stamp = last_change.timestamp() if isinstance(last_change, datetime) else last_change
    return f"{count}-{last_id or 0}-{stamp}"
