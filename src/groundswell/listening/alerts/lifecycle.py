"""The alert lifecycle: one alert per episode of a subject.

A detection with no open episode opens one (``open``) unless a suppression window
covers that minute; further anomalous minutes make it ``ongoing`` and raise its peak
severity; after ``quiet_minutes`` closed minutes without an anomaly it is ``resolved``.
So a spike that lasts an hour is one alert and one "opened" notification, not sixty.

A detection on another metric of a subject whose episode is open *joins* that episode
(``Alert.joined``) instead of opening a second alert: a surge of complaints moves posts,
negative posts and net sentiment together, and a reader wants one alert for the burst,
not three. The alert keeps the metric it opened on; the joined metrics add their own
peak to its summary, may raise its severity, and reach the rules that watch them.

Escalation is notified only when the peak severity rises by ``escalate_by`` or more
over the severity last notified, or when it crosses a rule's minimum (that rule then
hears of the alert for the first time). The "last notified" severity is not stored:
it follows from the episode's anomalies, so it is recomputed when needed.

An alert's ``expected``/``observed`` (and its summary) are those of the episode's most
extreme minute, not its latest: the detector keeps firing while a longer evidence window
is still high, and "0 posts vs 1 expected" would tell the reader nothing.

Everything is decided from minute timestamps, never from the wall clock, so a replay
of the same minutes (a backfill) yields the same alerts as live evaluation did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.core.upsert import chunks, dialect_insert
from groundswell.listening.alerts.models import Alert, AlertSuppression, Anomaly
from groundswell.listening.alerts.outbox import (
    NOTIFY_WINDOW,
    alert_metrics,
    announce,
    enqueue,
    joined_clause,
    opening_sentence,
    summarize,
)
from groundswell.listening.alerts.rules import RuleView, load_active_rules
from groundswell.listening.models import ALL_POSTS, Subject
from groundswell.listening.series import ALL_POSTS_NAME

MINUTE = timedelta(minutes=1)
OPEN_STATUSES = ("open", "ongoing")


def _excess(metric: str, expected: float, observed: float) -> float:
    """How far a minute is from normal, in the direction the metric alarms on."""
    return expected - observed if metric == "net_sentiment" else observed - expected


class DetectionLike(Protocol):
    """What the lifecycle reads from a detection (``spikes.Detection`` fits)."""

    @property
    def metric(self) -> str: ...
    @property
    def minute(self) -> datetime: ...
    @property
    def expected(self) -> float: ...
    @property
    def observed(self) -> float: ...
    @property
    def severity(self) -> int: ...
    @property
    def p_value(self) -> float: ...


@dataclass(frozen=True, slots=True)
class LifecycleParams:
    quiet_minutes: int = 10
    """Closed minutes without an anomaly after which an episode is over."""
    escalate_by: int = 2
    notify_window: timedelta = NOTIFY_WINDOW


@dataclass
class LifecycleReport:
    anomalies: int = 0
    opened: int = 0
    escalated: int = 0
    resolved: int = 0
    suppressed: int = 0
    deliveries: int = 0


@dataclass(frozen=True, slots=True)
class _Window:
    subject_id: int | None
    metric: str | None
    starts_at: datetime
    until: datetime


@dataclass
class AlertBook:
    """The lifecycle for one evaluation pass.

    Loads the open alerts, active rules, suppression windows and subject names once, so
    observing thousands of minutes costs no query per minute; anomalies are written in
    bulk by ``finish``. The caller owns the transaction.
    """

    session: Session
    now: datetime
    params: LifecycleParams = field(default_factory=LifecycleParams)
    report: LifecycleReport = field(default_factory=LifecycleReport)

    def __post_init__(self) -> None:
        s = self.session
        self._open: dict[tuple[int, str], Alert] = {}
        """Each open episode under every metric it covers (the one it opened on, the
        joined ones)."""
        for a in s.scalars(select(Alert).where(Alert.status.in_(OPEN_STATUSES))):
            for metric in alert_metrics(a):
                self._open.setdefault((a.subject_id, metric), a)
        self._notified: dict[int, int] = {}
        self._rules = load_active_rules(s)
        self._windows = [
            _Window(w.subject_id, w.metric, w.starts_at, w.until)
            for w in s.scalars(select(AlertSuppression))
        ]
        self._names = {sid: name for sid, name in s.execute(select(Subject.id, Subject.name))}
        self._names[ALL_POSTS] = ALL_POSTS_NAME
        self._anomalies: list[dict[str, object]] = []

    # -- observing minutes -------------------------------------------------------------

    def observe(
        self, subject_id: int, minute: datetime, detections: Sequence[DetectionLike]
    ) -> None:
        """Take one closed minute of one subject: its detections, then quiet checks.

        Overall volume (``ALL_POSTS``) alerts too, under the name "All posts".
        """
        for d in detections:
            alert = self._on_detection(subject_id, d) if subject_id in self._names else None
            self._anomalies.append(
                {
                    "subject_id": subject_id,
                    "metric": d.metric,
                    "minute": d.minute,
                    "expected": float(d.expected),
                    "observed": float(d.observed),
                    "severity": int(d.severity),
                    "p_value": float(d.p_value),
                    "alert_id": alert.id if alert is not None else None,
                }
            )
            self.report.anomalies += 1
        quiet_since = minute - self.params.quiet_minutes * MINUTE
        for (sid, _metric), alert in list(self._open.items()):
            quiet = alert.status != "resolved" and alert.last_anomaly_at <= quiet_since
            if sid == subject_id and quiet:
                self._resolve(alert)

    def _on_detection(self, subject_id: int, d: DetectionLike) -> Alert | None:
        alert = self._open.get((subject_id, d.metric))
        if alert is None:
            if self._suppressed(subject_id, d.metric, d.minute):
                self.report.suppressed += 1
                return None
            alert = self._episode_of(subject_id, d.minute)
            if alert is None:
                return self._open_alert(subject_id, d)
            self._open[(subject_id, d.metric)] = alert
        self._extend(alert, d)
        return alert

    def _episode_of(self, subject_id: int, minute: datetime) -> Alert | None:
        """The subject's open episode that ``minute`` still belongs to (not yet quiet for
        ``quiet_minutes``), whatever metric it opened on."""
        quiet_since = minute - self.params.quiet_minutes * MINUTE
        for (sid, _metric), alert in self._open.items():
            if sid == subject_id and alert.last_anomaly_at > quiet_since:
                return alert
        return None

    def _open_alert(self, subject_id: int, d: DetectionLike) -> Alert:
        severity = int(d.severity)
        alert = Alert(
            subject_id=subject_id,
            metric=d.metric,
            status="open",
            severity=severity,
            started_at=d.minute,
            last_anomaly_at=d.minute,
            expected=float(d.expected),
            observed=float(d.observed),
            created_at=self.now,
            updated_at=self.now,
        )
        alert.summary = self._summary(alert, d)
        self.session.add(alert)
        self.session.flush()
        self._open[(subject_id, d.metric)] = alert
        self._notified[alert.id] = severity
        self.report.opened += 1
        rules = [r for r in self._rules if r.matches(subject_id, d.metric, severity)]
        self._notify(alert, "opened", rules, d.minute)
        return alert

    def _extend(self, alert: Alert, d: DetectionLike) -> None:
        """A further anomalous minute of the episode, on its own metric or a joined one.

        Rules hear of it as "escalated" when the severity rose by ``escalate_by`` over
        what was last told (every rule that matches), or when the minute crosses a rule's
        minimum severity. A rule that watches only a metric that has just joined hears
        "opened": for its readers, that is when the episode began.
        """
        old, new = alert.severity, int(d.severity)
        before = self._matching(alert, old)
        metrics_before = alert_metrics(alert)
        if alert.status == "open":
            alert.status = "ongoing"
        alert.last_anomaly_at = max(alert.last_anomaly_at, d.minute)
        alert.updated_at = self.now
        primary_peak, peak = self._record_peak(alert, d)
        rises = False
        if new > old:
            alert.severity = new
            notified = self._last_notified(alert)
            rises = new >= notified + self.params.escalate_by
            if rises:
                self._notified[alert.id] = new
        now_matching = self._matching(alert, alert.severity)
        via_join = [
            r
            for r in now_matching
            if not any(r.matches(alert.subject_id, m, alert.severity) for m in metrics_before)
        ]
        if via_join:
            self._tell(alert, "opened", via_join, d.minute)
        others = [r for r in now_matching if r not in via_join]
        rules = others if rises else [r for r in others if r not in before]
        if rises or rules:
            self.report.escalated += 1
            alert.summary = self._summary(alert, d if primary_peak else None)
            self._notify(alert, "escalated", rules, d.minute)
            return
        if peak or new > old:
            alert.summary = self._summary(alert, d if primary_peak else None)

    def _record_peak(self, alert: Alert, d: DetectionLike) -> tuple[bool, bool]:
        """Keep each metric's most extreme minute; (the alert's own metric peaked, any
        metric peaked or joined)."""
        excess = _excess(d.metric, float(d.expected), float(d.observed))
        if d.metric == alert.metric:
            if excess <= _excess(alert.metric, alert.expected, alert.observed):
                return False, False
            alert.expected, alert.observed = float(d.expected), float(d.observed)
            return True, True
        joined = dict(alert.joined or {})
        prior = joined.get(d.metric)
        if prior is not None and excess <= _excess(d.metric, prior[1], prior[0]):
            return False, False
        joined[d.metric] = [float(d.observed), float(d.expected)]
        alert.joined = joined  # a new dict, so the JSON column is written
        return False, True

    def _matching(self, alert: Alert, severity: int) -> list[RuleView]:
        """Rules that watch any metric of the episode at ``severity``."""
        metrics = alert_metrics(alert)
        return [
            r
            for r in self._rules
            if any(r.matches(alert.subject_id, metric, severity) for metric in metrics)
        ]

    def _last_notified(self, alert: Alert) -> int:
        """The severity last notified, replayed from the episode's stored anomalies."""
        if alert.id in self._notified:
            return self._notified[alert.id]
        severities = self.session.scalars(
            select(Anomaly.severity).where(Anomaly.alert_id == alert.id).order_by(Anomaly.minute)
        ).all()
        notified: int | None = None
        for sev in severities:
            if notified is None or sev >= notified + self.params.escalate_by:
                notified = sev
        value = notified if notified is not None else alert.severity
        self._notified[alert.id] = value
        return value

    def _resolve(self, alert: Alert) -> None:
        quiet_end = alert.last_anomaly_at + self.params.quiet_minutes * MINUTE
        alert.status = "resolved"
        alert.resolved_at = quiet_end + MINUTE
        alert.updated_at = self.now
        for metric in alert_metrics(alert):
            if self._open.get((alert.subject_id, metric)) is alert:
                del self._open[(alert.subject_id, metric)]
        self.report.resolved += 1
        self._notify(alert, "resolved", self._matching(alert, alert.severity), quiet_end)

    # -- helpers -----------------------------------------------------------------------

    def _summary(self, alert: Alert, d: DetectionLike | None) -> str:
        """The episode in a sentence: its most extreme minute, the joined metrics' peaks
        and its peak severity. ``d``: the alert's own metric just peaked at ``d``."""
        if d is None and alert.summary:
            core = opening_sentence(alert.summary)
        else:
            core = opening_sentence(
                summarize(
                    subject_name=self._names.get(alert.subject_id, f"subject #{alert.subject_id}"),
                    metric=alert.metric,
                    observed=alert.observed,
                    expected=alert.expected,
                    minute=d.minute if d is not None else alert.last_anomaly_at,
                    severity=alert.severity,
                )
            )
        return f"{core}{joined_clause(alert.joined)} (severity {alert.severity})"

    def _suppressed(self, subject_id: int, metric: str, minute: datetime) -> bool:
        end = minute + MINUTE
        return any(
            (w.subject_id is None or w.subject_id == subject_id)
            and (w.metric is None or w.metric == metric)
            and w.starts_at < end
            and w.until > minute
            for w in self._windows
        )

    def _notify(self, alert: Alert, event: str, rules: list[RuleView], minute: datetime) -> None:
        if minute < self.now - self.params.notify_window:
            return
        name = self._names.get(alert.subject_id, f"subject #{alert.subject_id}")
        announce(self.session, alert=alert, event=event, subject_name=name, now=self.now)
        self._tell(alert, event, rules, minute)

    def _tell(self, alert: Alert, event: str, rules: list[RuleView], minute: datetime) -> None:
        """Deliveries to ``rules`` only (no webhook event: the alert is not new)."""
        if minute < self.now - self.params.notify_window or not rules:
            return
        if self._suppressed(alert.subject_id, alert.metric, minute):
            return
        self.report.deliveries += enqueue(
            self.session,
            alert=alert,
            event=event,
            rules=rules,
            subject_name=self._names.get(alert.subject_id, f"subject #{alert.subject_id}"),
            now=self.now,
        )

    # -- closing the pass --------------------------------------------------------------

    def finish(self, closed_until: datetime | None = None) -> LifecycleReport:
        """Write the anomalies; resolve episodes of subjects no longer evaluated.

        A subject deactivated or deleted mid-episode is not observed any more, so its
        alert would stay open for ever; ``closed_until`` (the last closed minute) lets
        such episodes end by the same quiet rule.
        """
        if closed_until is not None:
            quiet_since = closed_until - self.params.quiet_minutes * MINUTE
            for alert in list(self._open.values()):
                if alert.status != "resolved" and alert.last_anomaly_at <= quiet_since:
                    self._resolve(alert)
        if self._anomalies:
            stmt = dialect_insert(self.session, Anomaly.__table__).on_conflict_do_nothing(
                index_elements=["subject_id", "metric", "minute"]
            )
            for part in chunks(self._anomalies, 500):
                self.session.execute(stmt, part)
            self._anomalies = []
        self.session.flush()
        return self.report
