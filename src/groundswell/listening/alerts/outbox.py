"""Alert notifications written as rows in the same transaction as the alert change.

This is the outbox pattern: the alert and its pending deliveries commit together, so a
crash can neither send a notification for an alert that was rolled back nor lose one
for an alert that was stored. The dispatcher sends them later, outside any transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from groundswell.listening.alerts.models import Alert, AlertDelivery
from groundswell.listening.alerts.rules import RuleView
from groundswell.listening.alerts.schemas import METRIC_LABELS, drilldown_path
from groundswell.notify import events

NOTIFY_WINDOW = timedelta(minutes=30)
"""Events about minutes older than this (a backfill, a long outage) are recorded on the
alert but not sent: a page about a spike from last week helps nobody."""


def metric_value(metric: str, value: float) -> str:
    """An observed or expected value of ``metric`` as every alert text shows it (the
    summary, the alert list's columns, notifications): one format everywhere."""
    if metric == "net_sentiment":
        return f"{value:+.2f}"
    if 0 < abs(value) < 1:
        return f"{value:.2f}"  # a quiet baseline: "0.03 expected", not "0 expected"
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def summarize(
    *,
    subject_name: str,
    metric: str,
    observed: float,
    expected: float,
    minute: datetime,
    severity: int,
) -> str:
    """One plain sentence a person reads on a phone lock screen."""
    label = METRIC_LABELS.get(metric, metric)
    return (
        f"{label} about {subject_name}: {metric_value(metric, observed)} in the minute at "
        f"{minute:%H:%M} UTC vs {metric_value(metric, expected)} expected (severity {severity})"
    )


def alert_metrics(alert: Alert) -> list[str]:
    """The metric the alert opened on, then those that joined its episode."""
    return [alert.metric, *(m for m in (alert.joined or {}) if m != alert.metric)]


def joined_clause(joined: dict[str, list[float]] | None) -> str:
    """ "; negative posts 19 vs 0.39 expected" for each metric that joined the episode."""
    parts = [
        f"; {METRIC_LABELS.get(metric, metric).lower()} {metric_value(metric, values[0])} vs "
        f"{metric_value(metric, values[1])} expected"
        for metric, values in (joined or {}).items()
    ]
    return "".join(parts)


_TAIL = re.compile(
    "(; (?:"
    + "|".join(re.escape(label.lower()) for label in METRIC_LABELS.values())
    + r") .*)? \(severity \d+\)$"
)


def opening_sentence(summary: str) -> str:
    """A summary without its joined metrics and severity: the opening metric's sentence.

    The joined part is matched by the metric labels that start it, so a subject whose
    name holds "; " keeps its name."""
    return _TAIL.sub("", summary)


def build_payload(alert: Alert, *, subject_name: str, event: str) -> dict[str, Any]:
    """What every channel is told; JSON-safe, the same body for webhook receivers."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "event": event,
        "alert": {
            "id": alert.id,
            "subject_id": alert.subject_id,
            "subject": subject_name,
            "metric": alert.metric,
            "joined": {
                m: {"observed": v[0], "expected": v[1]} for m, v in (alert.joined or {}).items()
            },
            "status": alert.status,
            "severity": alert.severity,
            "expected": alert.expected,
            "observed": alert.observed,
            "started_at": iso(alert.started_at),
            "last_anomaly_at": iso(alert.last_anomaly_at),
            "resolved_at": iso(alert.resolved_at),
            "summary": alert.summary,
            "drilldown_path": drilldown_path(alert.id),
        },
    }


def announce(
    session: Session, *, alert: Alert, event: str, subject_name: str, now: datetime
) -> None:
    """Write the ``alert.opened`` / ``alert.resolved`` webhook events, if anyone wants them.

    Apart from the alert rules' notifications: a subscriber hears of every alert.
    """
    name = f"alert.{event}"
    if event not in ("opened", "resolved") or not events.wanted(session, name):
        return
    if alert.id is None:
        session.flush()
    payload = build_payload(alert, subject_name=subject_name, event=event)
    events.emit(session, name, payload["alert"], occurred_at=now)


def enqueue(
    session: Session,
    *,
    alert: Alert,
    event: str,
    rules: Iterable[RuleView],
    subject_name: str,
    now: datetime,
) -> int:
    """Add one delivery per target of each given rule; returns how many were added.

    In-app targets have nothing to send (the page shows every alert live), so their row
    is written as sent at once, keeping the record of who was told complete.
    """
    payload = build_payload(alert, subject_name=subject_name, event=event)
    added = 0
    for rule in rules:
        for kind, target in rule.targets:
            in_app = kind == "in_app"
            session.add(
                AlertDelivery(
                    alert_id=alert.id,
                    rule_id=rule.id,
                    event=event,
                    kind=kind,
                    target=target,
                    status="sent" if in_app else "pending",
                    attempts=1 if in_app else 0,
                    next_attempt_at=now,
                    payload=payload,
                    created_at=now,
                    sent_at=now if in_app else None,
                )
            )
            added += 1
    return added
