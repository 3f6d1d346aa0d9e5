"""Figures of a period from the rollup: sum the days, read quantiles from the histograms.

A 90-day dashboard reads at most 90 rows per group (one dimension at a time), so its
cost does not grow with the number of cases. Only the age of the current backlog looks at
cases, and only at the open ones (through the status index).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import partial

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.contribution import COUNTERS, HISTS, SUMS, Figures
from groundswell.analytics.engagement.models import EngagementDaily
from groundswell.analytics.engagement.schemas import (
    Distribution,
    EngagementFigures,
    EngagementReport,
    EngagementSummary,
    GroupBy,
    Timing,
)
from groundswell.analytics.engagement.segment_rows import CaseRows
from groundswell.auth.models import User
from groundswell.core.clock import utcnow
from groundswell.engagement.models import Queue
from groundswell.listening.models import Subject

_D = EngagementDaily


def load(session: Session, start: date, end: date, dim: str) -> dict[str, Figures]:
    """Sum each key's rows over the days ``start``…``end`` (both included).

    Histograms are added as dense numpy rows: this loop is most of a dashboard's cost.
    """
    names = COUNTERS + SUMS
    cols = [getattr(_D, name) for name in names]
    counts: dict[str, dict[str, float]] = defaultdict(dict)
    dense: dict[str, np.ndarray] = {}
    rows = session.execute(
        select(_D.key, _D.hists, *cols).where(_D.dim == dim, _D.day >= start, _D.day <= end)
    )
    for row in rows:
        key = row[0]
        acc = counts[key]
        for name, value in zip(names, row[2:], strict=True):
            if value:
                acc[name] = acc.get(name, 0.0) + float(value)
        target = dense.get(key)
        if target is None:
            target = dense[key] = np.zeros((len(HISTS), histogram.WIDTH), dtype=np.int64)
        histogram.unpack_into(row[1], target)
    return {
        key: Figures(counts=acc, hists=histogram.from_dense(dense[key], HISTS))
        for key, acc in counts.items()
    }


def backlog(session: Session, end: date, dim: str) -> dict[str, int]:
    """Cases open at the end of ``end``: all openings minus all resolutions up to then."""
    rows = session.execute(
        select(_D.key, func.sum(_D.opened) - func.sum(_D.resolved))
        .where(_D.dim == dim, _D.day <= end)
        .group_by(_D.key)
    )
    return {key: int(value or 0) for key, value in rows}


def backlog_ages(
    session: Session, dim: str, *, now: datetime
) -> dict[str, tuple[histogram.Hist, float]]:
    """Per key of ``dim``, the age histogram of the cases open now (each aged from the
    middle of its opening day, ±12 h) and their exact mean age in seconds."""
    out: dict[str, tuple[histogram.Hist, float]] = {}
    since: dict[str, tuple[float, int]] = {}
    rows = session.execute(
        select(_D.key, _D.day, _D.open_now, _D.open_since_sum).where(_D.dim == dim, _D.open_now > 0)
    )
    for key, day, n, since_sum in rows:
        hist, _ = out.setdefault(key, ({}, 0.0))
        middle = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        histogram.add(hist, max(0.0, (now - middle).total_seconds()), int(n))
        total, count = since.get(key, (0.0, 0))
        since[key] = (total + float(since_sum or 0.0), count + int(n))
    stamp = now.timestamp()
    return {
        key: (hist, max(0.0, stamp - since[key][0] / since[key][1]))
        for key, (hist, _) in out.items()
    }


def distribution(fig: Figures, name: str, sum_name: str) -> Distribution:
    hist = fig.hists.get(name, {})
    n = histogram.total(hist)
    return Distribution(
        count=n,
        mean=fig.counts.get(sum_name, 0.0) / n if n else None,
        median=histogram.quantile(hist, 0.5),
        p90=histogram.quantile(hist, 0.9),
    )


def _hist_distribution(hist: histogram.Hist, mean: float | None) -> Distribution:
    return Distribution(
        count=histogram.total(hist),
        mean=mean if hist else None,
        median=histogram.quantile(hist, 0.5) if hist else None,
        p90=histogram.quantile(hist, 0.9) if hist else None,
    )


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def figures(
    key: str,
    label: str,
    fig: Figures,
    *,
    backlog: int,
    ages: tuple[histogram.Hist, float] | None,
) -> EngagementFigures:
    c = fig.counts

    def timing(prefix: str) -> Timing:
        return Timing(
            business=distribution(fig, prefix + "_bus", prefix + "_bus_sum"),
            wall=distribution(fig, prefix + "_wall", prefix + "_wall_sum"),
        )

    met = c.get("sla_first_met", 0.0) + c.get("sla_resolve_met", 0.0)
    targets = c.get("sla_first_total", 0.0) + c.get("sla_resolve_total", 0.0)
    return EngagementFigures(
        key=key,
        label=label,
        opened=int(c.get("opened", 0)),
        resolved=int(c.get("resolved", 0)),
        backlog=max(0, backlog),
        backlog_age=_hist_distribution(*ages) if ages is not None else None,
        first_response=timing("frt"),
        next_response=timing("nrt"),
        resolution=timing("res"),
        sla_first_response=_ratio(c.get("sla_first_met", 0), c.get("sla_first_total", 0)),
        sla_resolution=_ratio(c.get("sla_resolve_met", 0), c.get("sla_resolve_total", 0)),
        sla_attainment=_ratio(met, targets),
        replies_per_case=_ratio(c.get("replies_resolved", 0), c.get("resolved", 0)),
        csat_average=_ratio(c.get("csat_sum", 0), c.get("csat_count", 0)),
        csat_satisfied=_ratio(c.get("csat_satisfied", 0), c.get("csat_count", 0)),
        csat_count=int(c.get("csat_count", 0)),
        sentiment_lift=_ratio(c.get("lift_sum", 0), c.get("lift_count", 0)),
        lift_count=int(c.get("lift_count", 0)),
    )


def labels(session: Session, dim: str, keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    out = {k: k for k in keys}
    if "" in out:
        out[""] = "unassigned" if dim in ("agent", "team", "queue") else "none"
    if dim == "agent" and ids:
        for uid, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(ids))
        ):
            out[str(uid)] = name or email
    elif dim in ("team", "queue") and ids:
        for qid, name in session.execute(select(Queue.id, Queue.name).where(Queue.id.in_(ids))):
            out[str(qid)] = name
    elif dim == "subject" and ids:
        for sid, name in session.execute(
            select(Subject.id, Subject.name).where(Subject.id.in_(ids))
        ):
            out[str(sid)] = name
    return out


def _current(end: date, now: datetime) -> bool:
    return end >= now.astimezone(UTC).date()


def report(
    session: Session,
    start: date,
    end: date,
    group_by: GroupBy,
    *,
    now: datetime | None = None,
    cases: CaseRows | None = None,
) -> EngagementReport:
    """``cases``: figures of some cases only (a segment's), instead of the stored rollup."""
    now = now or utcnow()
    current = _current(end, now)
    if cases is None:
        total = load(session, start, end, "all").get("", Figures())
        total_backlog = backlog(session, end, "all").get("", 0)
        groups = load(session, start, end, group_by)
        backlogs = backlog(session, end, group_by)
    else:
        total = cases.load(start, end, "all").get("", Figures())
        total_backlog = cases.backlog(end, "all").get("", 0)
        groups = cases.load(start, end, group_by)
        backlogs = cases.backlog(end, group_by)
    ages: dict[str, tuple[histogram.Hist, float]] = {}
    total_ages: tuple[histogram.Hist, float] | None = None
    if current:
        ages_of = cases.backlog_ages if cases is not None else partial(backlog_ages, session)
        ages = ages_of(group_by, now=now)
        total_ages = ages_of("all", now=now).get("", ({}, 0.0))
    active = {k for k, f in groups.items() if any(f.counts.values()) or any(f.hists.values())}
    keys = sorted(active | {k for k, v in backlogs.items() if v > 0})
    names = labels(session, group_by, keys)
    rows = [
        figures(
            k,
            names.get(k, k),
            groups.get(k, Figures()),
            backlog=backlogs.get(k, 0),
            ages=ages.get(k, ({}, 0.0)) if current else None,
        )
        for k in keys
    ]
    rows.sort(key=lambda f: (-f.opened, f.label))
    return EngagementReport(
        start=start,
        end=end,
        group_by=group_by,
        total=figures("", "all cases", total, backlog=total_backlog, ages=total_ages),
        groups=rows,
        quantile_relative_error=histogram.RELATIVE_ERROR,
    )


def period_summary(
    session: Session,
    start: date | datetime,
    end: date | datetime,
    *,
    subject_id: int | None = None,
) -> EngagementSummary:
    """Headline figures of ``start``…``end`` (UTC days, both included), optionally for
    the cases that name one subject (a brand, product, ...)."""
    first = start.date() if isinstance(start, datetime) else start
    last = end.date() if isinstance(end, datetime) else end
    if last < first:
        raise ValueError("end is before start")
    dim, key = ("all", "") if subject_id is None else ("subject", str(subject_id))
    fig = load(session, first, last, dim).get(key, Figures())
    made = figures(key, key, fig, backlog=backlog(session, last, dim).get(key, 0), ages=None)
    return EngagementSummary(
        start=first,
        end=last,
        cases_opened=made.opened,
        cases_resolved=made.resolved,
        backlog=made.backlog,
        first_response_median=made.first_response.business.median,
        first_response_p90=made.first_response.business.p90,
        resolution_median=made.resolution.business.median,
        resolution_p90=made.resolution.business.p90,
        sla_attainment=made.sla_attainment,
        csat_average=made.csat_average,
        csat_satisfied=made.csat_satisfied,
    )


def days_back(end: date, days: int) -> date:
    return end - timedelta(days=days - 1)
