"""SLA clocks on cases: due times in business hours, paused while pending, warnings and
breaches that notify through ``notify``'s outbox.

The arithmetic is in ``business_time``; this module picks the policy for a case, keeps
its due times current through the lifecycle, and finds the cases near or past breach.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from threading import Lock

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from groundswell.engagement.business_time import (
    Schedule,
    add_business_seconds,
    business_seconds_between,
    country_holidays,
    parse_hours,
)
from groundswell.engagement.config_models import SlaPolicy
from groundswell.engagement.models import Case, CaseEvent
from groundswell.notify.models import Delivery

_schedules: dict[tuple[object, ...], Schedule] = {}
_lock = Lock()


def schedule_of(policy: SlaPolicy | None) -> Schedule:
    """The policy's schedule (cached); open around the clock without hours."""
    if policy is None or not policy.hours:
        return Schedule(tz=policy.timezone if policy else "UTC", hours=[[(0, 1440)]] * 7)
    key = (policy.id, policy.timezone, tuple(sorted(policy.hours.items())), policy.holiday_country)
    with _lock:
        found = _schedules.get(key)
        if found is None:
            year = datetime.now().year
            found = Schedule(
                tz=policy.timezone,
                hours=parse_hours(policy.hours),
                holidays=country_holidays(policy.holiday_country, range(year - 1, year + 3)),
            )
            _schedules[key] = found
    return found


def policy_for(
    session: Session,
    *,
    priority: str,
    channel: str,
    policies: Sequence[SlaPolicy] | None = None,
) -> SlaPolicy | None:
    """The most specific active policy: priority and channel, channel, priority, any.

    ``policies``: the active policies when the caller already loaded them (once per batch)."""
    rows = (
        policies
        if policies is not None
        else session.scalars(select(SlaPolicy).where(SlaPolicy.active.is_(True))).all()
    )
    best: tuple[int, SlaPolicy] | None = None
    for p in rows:
        if p.priority not in (None, priority) or p.channel not in (None, channel):
            continue
        rank = (2 if p.channel else 0) + (1 if p.priority else 0)
        if best is None or rank > best[0] or (rank == best[0] and p.id < best[1].id):
            best = (rank, p)
    return best[1] if best else None


def _add(policy: SlaPolicy | None, start: datetime, minutes: int | None) -> datetime | None:
    if minutes is None:
        return None
    return add_business_seconds(schedule_of(policy), start, minutes * 60.0)


def refresh_next_due(case: Case) -> None:
    if case.status not in ("new", "open"):
        case.next_due_at = None
        return
    dues = [d for d in (case.first_response_due, case.next_response_due, case.resolution_due) if d]
    case.next_due_at = min(dues) if dues else None


def start_clock(
    session: Session,
    case: Case,
    *,
    now: datetime,
    policies: Sequence[SlaPolicy] | None = None,
) -> None:
    policy = policy_for(
        session, priority=case.priority_label, channel=case.channel, policies=policies
    )
    case.sla_policy_id = policy.id if policy else None
    if policy is None:
        refresh_next_due(case)
        return
    case.first_response_due = _add(policy, now, policy.first_response_min)
    case.resolution_due = _add(policy, now, policy.resolution_min)
    refresh_next_due(case)


def on_priority_set(
    session: Session,
    case: Case,
    *,
    now: datetime,
    policies: Sequence[SlaPolicy] | None = None,
) -> None:
    """A rule or a person set the case's priority: the policy for its new label applies.

    The case opened under the policy of its computed label, and a rule such as
    "cancellations are urgent" sets the level just after; without this an "Urgent" policy
    (15 minutes) never reached the urgent cases. Each running due time keeps the business
    time already spent and gets the new policy's target: elapsed = old target − what was
    left, new due = now + (new target − elapsed). Paused time stays excluded (``resume``
    already moved the due times); a target the case has already overrun is now past.
    Only an explicit level re-picks: a label that drifts with SLA risk would shorten its
    own clock and drift further.
    """
    new = policy_for(session, priority=case.priority_label, channel=case.channel, policies=policies)
    if new is None or new.id == case.sla_policy_id:
        return
    old = (
        next((p for p in policies if p.id == case.sla_policy_id), None)
        if policies is not None and case.sla_policy_id is not None
        else None
    ) or _policy(session, case)
    case.sla_policy_id = new.id
    if old is None:
        # No policy had applied, so no clock ran: start it from the opening.
        if case.first_responded_at is None:
            case.first_response_due = _add(new, case.opened_at, new.first_response_min)
        case.resolution_due = _add(new, case.opened_at, new.resolution_min)
        if case.pending_since is None:
            refresh_next_due(case)
        return
    at = case.pending_since or now
    old_schedule, new_schedule = schedule_of(old), schedule_of(new)
    for name, field in (
        ("first_response_due", "first_response_min"),
        ("next_response_due", "next_response_min"),
        ("resolution_due", "resolution_min"),
    ):
        due = getattr(case, name)
        old_min = getattr(old, field) if old is not None else None
        new_min = getattr(new, field)
        if due is None or old_min is None:
            continue
        if new_min is None:
            setattr(case, name, None)
            continue
        left = (
            business_seconds_between(old_schedule, at, due)
            if due > at
            else -((at - due).total_seconds())
        )
        remaining = new_min * 60.0 - (old_min * 60.0 - left)
        setattr(
            case,
            name,
            add_business_seconds(new_schedule, at, remaining)
            if remaining > 0
            else at + timedelta(seconds=remaining),
        )
    if case.pending_since is None:
        refresh_next_due(case)


def _policy(session: Session, case: Case) -> SlaPolicy | None:
    return session.get(SlaPolicy, case.sla_policy_id) if case.sla_policy_id else None


def on_agent_reply(session: Session, case: Case, *, now: datetime) -> None:
    if case.first_responded_at is None:
        case.first_responded_at = now
    case.first_response_due = None
    case.next_response_due = None
    refresh_next_due(case)


def on_customer_message(session: Session, case: Case, *, now: datetime) -> None:
    policy = _policy(session, case)
    if (
        policy is not None
        and case.first_responded_at is not None
        and case.next_response_due is None
    ):
        case.next_response_due = _add(policy, now, policy.next_response_min)
    refresh_next_due(case)


def pause(case: Case, *, now: datetime) -> None:
    case.pending_since = now
    case.next_due_at = None


def resume(session: Session, case: Case, *, now: datetime) -> None:
    """Shift every running due time by the business time the case spent pending."""
    since = case.pending_since
    case.pending_since = None
    if since is not None:
        schedule = schedule_of(_policy(session, case))
        for name in ("first_response_due", "next_response_due", "resolution_due"):
            due = getattr(case, name)
            if due is None:
                continue
            left = business_seconds_between(schedule, since, due)
            if left > 0:
                setattr(case, name, add_business_seconds(schedule, now, left))
    refresh_next_due(case)


def risk(case: Case, *, now: datetime, horizon: timedelta = timedelta(hours=4)) -> float:
    """0 when the next due time is far (or none), rising to 1 at breach."""
    if case.next_due_at is None:
        return 0.0
    left = (case.next_due_at - now).total_seconds()
    if left <= 0:
        return 1.0
    return max(0.0, 1.0 - left / horizon.total_seconds())


def check_due(session: Session, *, now: datetime) -> tuple[int, int]:
    """Warn about cases near breach, record breaches and queue their notifications.

    Each due time warns and breaches once: ``warned_at``/``breached_at`` are compared
    with the current ``next_due_at``, so a later due time (resolution after first
    response) warns again. Returns (warnings, breaches).
    """
    warnings = breaches = 0
    horizon = now + timedelta(days=7)
    rows = session.scalars(
        select(Case)
        .where(Case.status.in_(("new", "open")), Case.next_due_at.is_not(None))
        .where(Case.next_due_at <= horizon)
        .where(or_(Case.breached_at.is_(None), Case.breached_at < Case.next_due_at))
        .order_by(Case.next_due_at)
        .limit(500)
    ).all()
    policies = {p.id: p for p in session.scalars(select(SlaPolicy)).all()}
    for case in rows:
        due = case.next_due_at
        assert due is not None
        policy = policies.get(case.sla_policy_id or 0)
        warn_before = timedelta(minutes=policy.warn_before_min if policy else 15)
        if due <= now:
            case.breached_at = now
            breaches += 1
            session.add(
                CaseEvent(
                    case_id=case.id, at=now, kind="sla_breached", data={"due": due.isoformat()}
                )
            )
            _notify(session, case, policy, event="sla_breached", due=due)
        elif due - warn_before <= now and (
            case.warned_at is None or case.warned_at < due - warn_before
        ):
            case.warned_at = now
            warnings += 1
            session.add(
                CaseEvent(
                    case_id=case.id, at=now, kind="sla_warning", data={"due": due.isoformat()}
                )
            )
            _notify(session, case, policy, event="sla_warning", due=due)
    session.flush()
    return warnings, breaches


def _notify(
    session: Session, case: Case, policy: SlaPolicy | None, *, event: str, due: datetime
) -> None:
    title = (
        "SLA breached" if event == "sla_breached" else "SLA about to breach"
    ) + f": case #{case.id}"
    session.add(
        Delivery(
            alert_id=None,
            rule_id=None,
            event=event,
            kind=policy.notify_kind if policy else "in_app",
            target=(policy.notify_to if policy and policy.notify_to else ""),
            payload={
                "title": title,
                "lines": [
                    f"Case: {case.subject}",
                    f"Priority: {case.priority_label}",
                    f"Due: {due.isoformat()}",
                    f"Link: /inbox/cases/{case.id}",
                ],
                "case_id": case.id,
            },
        )
    )
