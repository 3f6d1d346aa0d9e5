"""How the team did over a period, from engagement's cases and surveys.

Kept to one function on purpose: a shared engagement-metrics module is to replace its
body, and the digest should only need ``team_figures`` to keep its signature.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from groundswell.analytics.digest.schemas import TeamFigures
from groundswell.engagement.business_time import business_seconds_between
from groundswell.engagement.config_models import SlaPolicy
from groundswell.engagement.models import Case
from groundswell.engagement.reply_models import CsatSurvey
from groundswell.engagement.sla import schedule_of


def _minutes(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds() / 60.0)


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def _first_response_met(
    opened: datetime,
    responded: datetime | None,
    due: datetime | None,
    policy: SlaPolicy | None,
    end: datetime,
) -> bool | None:
    """Whether the first response met its target; None while it cannot be judged yet.

    An answered case is judged as the Team figures judge it: the business time to the
    answer against its policy's ``first_response_min``. Its due time cannot serve: the
    answer clears it, so judging by it counted only the unanswered cases, and a team
    that answered every case in time read 0 %. An unanswered case misses once its due
    time has passed by ``end``."""
    if responded is not None and responded < end:
        if policy is None or policy.first_response_min is None:
            return None
        spent = business_seconds_between(schedule_of(policy), opened, responded)
        return spent <= policy.first_response_min * 60.0
    if due is not None and due < end:
        return False
    return None


def team_figures(session: Session, start: datetime, end: datetime) -> TeamFigures:
    """Cases opened in ``[start, end)``: first response median and p90 (minutes), first
    response SLA attainment (of those whose due time fell before ``end``); cases resolved
    in it: resolution median; surveys answered in it: mean CSAT; backlog at ``end``."""
    opened = session.execute(
        select(
            Case.opened_at, Case.first_responded_at, Case.first_response_due, Case.sla_policy_id
        ).where(Case.opened_at >= start, Case.opened_at < end)
    ).all()
    first = [_minutes(o, r) for o, r, _, _ in opened if r is not None and r < end]
    policies = {p.id: p for p in session.scalars(select(SlaPolicy))}
    judged = [
        met
        for o, r, due, policy_id in opened
        if (met := _first_response_met(o, r, due, policies.get(policy_id or 0), end)) is not None
    ]
    resolved = session.execute(
        select(Case.opened_at, Case.resolved_at).where(
            Case.resolved_at >= start, Case.resolved_at < end
        )
    ).all()
    resolution = [_minutes(o, r) for o, r in resolved if r is not None]
    csat = session.execute(
        select(func.avg(CsatSurvey.score), func.count(CsatSurvey.score)).where(
            CsatSurvey.answered_at >= start,
            CsatSurvey.answered_at < end,
            CsatSurvey.score.is_not(None),
        )
    ).one()
    csat_mean, csat_n = csat[0], csat[1]
    backlog = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            Case.opened_at < end,
            or_(Case.resolved_at.is_(None), Case.resolved_at >= end),
            or_(Case.closed_at.is_(None), Case.closed_at >= end),
            Case.kind == "customer",
        )
    )
    return TeamFigures(
        cases_opened=len(opened),
        cases_resolved=len(resolution),
        first_response_median_min=_median(first),
        first_response_p90_min=_p90(first),
        resolution_median_min=_median(resolution),
        sla_attainment=round(sum(judged) / len(judged), 4) if judged else None,
        csat=round(float(str(csat_mean)), 2) if csat_mean is not None else None,
        csat_answers=int(str(csat_n or 0)),
        backlog=int(backlog or 0),
    )
