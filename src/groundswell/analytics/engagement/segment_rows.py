"""The engagement rollup's rows rebuilt for one segment's cases, in memory.

The daily rollup is summed per dimension (agent, channel, ...) over all cases; it keeps no
contact, and a segment is evaluated when it is used (its members change as value, stage,
tags and touches change), so no stored row can answer "the cases of these contacts".
Instead the cases of the segment's contacts that can add anything to the period are
read back (``facts.load_facts``) and spread with the rollup's own ``contribution``, so the
figures follow the same rules as the rollup's. The cost grows with the segment's cases,
not with all cases: the case query is bounded by the members, by the period (a case
opened after it adds nothing; one resolved before it, with no activity or survey answer
since, adds only an opening and a resolution that cancel in the backlog), and read in
batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.contribution import (
    CaseFacts,
    Figures,
    RowKey,
    contribution,
)
from groundswell.analytics.engagement.facts import load_facts
from groundswell.crm.segments import segment_members
from groundswell.engagement.models import Case
from groundswell.engagement.reply_models import CsatSurvey

BATCH = 500


@dataclass
class CaseRows:
    """Rollup rows (day, dimension, key) → figures, with the reads ``queries`` makes."""

    rows: dict[RowKey, Figures] = field(default_factory=dict)

    def add(self, case: CaseFacts) -> None:
        for key, figures in contribution(case).items():
            self.rows.setdefault(key, Figures()).merge(figures)

    def load(self, start: date, end: date, dim: str) -> dict[str, Figures]:
        out: dict[str, Figures] = {}
        for (day, d, key), figures in self.rows.items():
            if d == dim and start <= day <= end:
                out.setdefault(key, Figures()).merge(figures)
        return out

    def backlog(self, end: date, dim: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for (day, d, key), fig in self.rows.items():
            if d == dim and day <= end:
                n = fig.counts.get("opened", 0.0) - fig.counts.get("resolved", 0.0)
                out[key] = out.get(key, 0) + int(n)
        return out

    def backlog_ages(self, dim: str, *, now: datetime) -> dict[str, tuple[histogram.Hist, float]]:
        """As ``queries.backlog_ages``: opening day's middle for the histogram, exact mean."""
        hists: dict[str, histogram.Hist] = {}
        since: dict[str, tuple[float, int]] = {}
        for (day, d, key), fig in self.rows.items():
            n = int(fig.counts.get("open_now", 0.0))
            if d != dim or n <= 0:
                continue
            middle = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            histogram.add(hists.setdefault(key, {}), max(0.0, (now - middle).total_seconds()), n)
            total, count = since.get(key, (0.0, 0))
            since[key] = (total + fig.counts.get("open_since_sum", 0.0), count + n)
        stamp = now.timestamp()
        return {k: (h, max(0.0, stamp - since[k][0] / since[k][1])) for k, h in hists.items()}


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _cases(start: date, end: date) -> Select[Any]:
    """Cases that can add to ``start``…``end``'s figures or to the backlog at its end."""
    since = datetime.combine(start, time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
    answered = exists().where(CsatSurvey.case_id == Case.id, CsatSurvey.answered_at >= since)
    return select(Case.id).where(
        Case.opened_at < until,
        or_(
            Case.resolved_at.is_(None),
            Case.resolved_at >= since,
            Case.last_activity_at >= since,
            answered,
        ),
    )


def segment_rows(session: Session, *, segment_id: int, start: date, end: date) -> CaseRows:
    """The rollup rows of the segment's cases for the period (unknown segment: 404)."""
    members = segment_members(session, segment_id=segment_id)
    query = _cases(start, end)
    ids: list[int] = []
    if isinstance(members, list):
        for chunk in _chunks(members, BATCH):
            ids.extend(session.scalars(query.where(Case.contact_id.in_(chunk))))
    else:
        ids.extend(session.scalars(query.where(Case.contact_id.in_(members))))
    out = CaseRows()
    for chunk in _chunks(sorted(ids), BATCH):
        for case in load_facts(session, chunk):
            out.add(case)
    return out
