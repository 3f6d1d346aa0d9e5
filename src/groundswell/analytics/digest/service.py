"""Build one digest: a brand (a brand or competitor subject), a period, a time zone."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from groundswell.analytics.digest import actions as act
from groundswell.analytics.digest.gaps import gaps
from groundswell.analytics.digest.moved import alerts_opened, moved, seasonal
from groundswell.analytics.digest.period import PeriodKind, UnknownTimeZoneError, period_of
from groundswell.analytics.digest.schemas import DigestRead, Team, Why
from groundswell.analytics.digest.team import team_figures
from groundswell.analytics.digest.why import alert_summaries, period_drilldown, why
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.models import Subject

DIGEST_KINDS = ("brand", "competitor")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
"""Dates outside this range are refused (422) rather than overflow the calendar."""


def digest_subject(session: Session, subject_id: int) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFoundError("subject", subject_id)
    if subject.kind not in DIGEST_KINDS:
        raise InvalidInputError(
            "the digest is for a brand or competitor subject", field="subject_id"
        )
    return subject


def build_digest(
    session: Session,
    *,
    subject_id: int,
    period: PeriodKind,
    day: date,
    tz: str = "UTC",
    now: datetime | None = None,
) -> DigestRead:
    """Every figure of the one-page digest of ``subject_id`` for the period holding ``day``."""
    now = now or utcnow()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInputError("date must be between 2000-01-01 and 2100-12-31", field="date")
    subject = digest_subject(session, subject_id)
    try:
        span = period_of(period, day, tz)
    except UnknownTimeZoneError:
        raise InvalidInputError("not an IANA time zone", field="tz") from None
    s = seasonal(session, subject.id, span, now)
    alerts, alerts_total = alerts_opened(session, subject.id, span)
    summaries = alert_summaries(session, [a.id for a in alerts])
    what = moved(session, subject, span, summaries, s, alerts, alerts_total)
    reasons = (
        why(period_drilldown(session, subject.id, span, now))
        if s.current.total and span.start < now
        else Why(
            summary="No posts to explain in this period.", themes=[], rising_terms=[], samples=[]
        )
    )
    team = Team(
        current=team_figures(session, span.start, min(span.end, max(now, span.start))),
        previous=team_figures(session, span.previous().start, span.previous().end),
    )
    todo = act.ranked(
        act.unanswered(session, span, now),
        act.emerging_complaints(reasons, what.negative_share.change),
        act.lagging_channels(session, span),
        act.open_alerts(what.alerts),
    )
    return DigestRead(
        subject_id=subject.id,
        subject_name=subject.name,
        period=period,
        tz=tz,
        first_day=span.first_day,
        label=span.label,
        start=span.start,
        end=span.end,
        generated_at=now,
        gaps=gaps(
            session,
            span,
            now=now,
            subject_total=s.current.total,
            baseline=what.hourly_baseline,
        ),
        moved=what,
        why=reasons,
        team=team,
        actions=todo,
    )
