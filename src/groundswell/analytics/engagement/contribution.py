"""What one case adds to the daily rollup: pure, so it can be diffed and tested alone.

A case's contribution is a map from rollup row (day, dimension, key) to counters and
histograms. Each figure is dated by the event it measures: an opening on the day the case
opened, a first response on the day it was given, a resolution on the day it happened, a
CSAT answer on the day it was answered. The case is attributed to its *current* agent,
team, channel, queue and priority (a reassignment moves its whole history), and to every
subject its customer messages named.

When a case changes, the new contribution minus the stored old one is added to the rollup,
which keeps the rollup equal to the sum over cases without ever rescanning them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from groundswell.analytics.engagement import histogram
from groundswell.engagement.business_time import Schedule, business_seconds_between

COUNTERS = (
    "opened",
    "resolved",
    "first_responses",
    "next_responses",
    "replies",
    "replies_resolved",
    "sla_first_total",
    "sla_first_met",
    "sla_resolve_total",
    "sla_resolve_met",
    "csat_count",
    "csat_sum",
    "csat_satisfied",
    "lift_count",
    "open_now",
)
"""``open_now`` is a state, not an event: on the opening day's row, 1 while the case is not
resolved. Summed over days it is the backlog, and its days give the backlog's age."""
SUMS = (
    "lift_sum",
    "frt_bus_sum",
    "frt_wall_sum",
    "nrt_bus_sum",
    "nrt_wall_sum",
    "res_bus_sum",
    "res_wall_sum",
    "open_since_sum",
)
"""``open_since_sum``: the open cases' opening instants (epoch seconds) added up, so the
backlog's mean age is exact while its median comes from the opening days."""
HISTS = ("frt_bus", "frt_wall", "nrt_bus", "nrt_wall", "res_bus", "res_wall")
DIMENSIONS = ("all", "agent", "team", "channel", "queue", "priority", "subject")
"""``all`` is the whole team (key ``""``); the others group by one attribute each."""

RowKey = tuple[date, str, str]


@dataclass
class Figures:
    """One rollup row's worth of numbers (or a delta of them)."""

    counts: dict[str, float] = field(default_factory=dict)
    hists: dict[str, histogram.Hist] = field(default_factory=dict)

    def bump(self, name: str, amount: float = 1.0) -> None:
        self.counts[name] = self.counts.get(name, 0.0) + amount

    def observe(self, name: str, seconds: float) -> None:
        histogram.add(self.hists.setdefault(name, {}), seconds)

    def merge(self, other: Figures, sign: int = 1) -> None:
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0.0) + sign * value
        for name, hist in other.hists.items():
            target = self.hists.setdefault(name, {})
            histogram.merge(target, hist if sign > 0 else histogram.negate(hist))

    def is_zero(self) -> bool:
        counts_zero = all(abs(v) < 1e-9 for v in self.counts.values())
        return counts_zero and not any(self.hists.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "c": {k: v for k, v in self.counts.items() if v},
            "h": {k: histogram.to_json(h) for k, h in self.hists.items() if h},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figures:
        out = cls(counts={k: float(v) for k, v in data.get("c", {}).items()})
        for name, hist in data.get("h", {}).items():
            histogram.merge(out.hists.setdefault(name, {}), hist)
        return out


@dataclass(frozen=True)
class Message:
    at: datetime
    inbound: bool
    sentiment: float | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything the rollup needs of one case, read in bulk by ``facts``."""

    case_id: int
    opened_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    channel: str
    priority: str
    agent_id: int | None
    team_id: int | None
    queue_id: int | None
    schedule: Schedule
    first_response_min: int | None = None
    resolution_min: int | None = None
    messages: tuple[Message, ...] = ()
    """Customer messages and the agents' replies (not acknowledgements or surveys)."""
    subject_ids: tuple[int, ...] = ()
    csat_score: int | None = None
    csat_at: datetime | None = None


def _key(value: int | str | None) -> str:
    return "" if value is None else str(value)


def keys_of(case: CaseFacts) -> list[tuple[str, str]]:
    keys = [
        ("all", ""),
        ("agent", _key(case.agent_id)),
        ("team", _key(case.team_id)),
        ("channel", case.channel),
        ("queue", _key(case.queue_id)),
        ("priority", case.priority),
    ]
    keys.extend(("subject", str(s)) for s in sorted(set(case.subject_ids)))
    return keys


def _day(at: datetime) -> date:
    return at.date()


def case_figures(case: CaseFacts) -> dict[date, Figures]:
    """The case's figures per UTC day, before they are spread over its dimensions."""
    days: dict[date, Figures] = {}

    def on(at: datetime) -> Figures:
        return days.setdefault(_day(at), Figures())

    def timing(prefix: str, start: datetime, end: datetime) -> tuple[float, float]:
        wall = max(0.0, (end - start).total_seconds())
        bus = max(0.0, business_seconds_between(case.schedule, start, end))
        fig = on(end)
        fig.observe(prefix + "_bus", bus)
        fig.observe(prefix + "_wall", wall)
        fig.bump(prefix + "_bus_sum", bus)
        fig.bump(prefix + "_wall_sum", wall)
        return bus, wall

    on(case.opened_at).bump("opened")
    if case.resolved_at is None:
        on(case.opened_at).bump("open_now")
        on(case.opened_at).bump("open_since_sum", case.opened_at.timestamp())
    if case.first_responded_at is not None:
        bus, _ = timing("frt", case.opened_at, case.first_responded_at)
        fig = on(case.first_responded_at)
        fig.bump("first_responses")
        if case.first_response_min is not None:
            fig.bump("sla_first_total")
            if bus <= case.first_response_min * 60.0:
                fig.bump("sla_first_met")

    messages = sorted(case.messages, key=lambda m: (m.at, not m.inbound))
    replies = 0
    answered_once = False
    waiting_since: datetime | None = None
    last_sentiment: float | None = None
    open_lift: tuple[datetime, float] | None = None
    for m in messages:
        if m.inbound:
            if waiting_since is None:
                waiting_since = m.at
            if m.sentiment is not None:
                if open_lift is not None:
                    fig = on(open_lift[0])
                    fig.bump("lift_count")
                    fig.bump("lift_sum", m.sentiment - open_lift[1])
                    open_lift = None
                last_sentiment = m.sentiment
            continue
        replies += 1
        on(m.at).bump("replies")
        if answered_once and waiting_since is not None:
            timing("nrt", waiting_since, m.at)
            on(m.at).bump("next_responses")
        answered_once = True
        waiting_since = None
        open_lift = (m.at, last_sentiment) if last_sentiment is not None else None

    if case.resolved_at is not None:
        bus, _ = timing("res", case.opened_at, case.resolved_at)
        fig = on(case.resolved_at)
        fig.bump("resolved")
        fig.bump("replies_resolved", replies)
        if case.resolution_min is not None:
            fig.bump("sla_resolve_total")
            if bus <= case.resolution_min * 60.0:
                fig.bump("sla_resolve_met")
    if case.csat_score is not None and case.csat_at is not None:
        fig = on(case.csat_at)
        fig.bump("csat_count")
        fig.bump("csat_sum", case.csat_score)
        if case.csat_score >= 4:
            fig.bump("csat_satisfied")
    return days


def contribution(case: CaseFacts) -> dict[RowKey, Figures]:
    """The case's figures spread over every rollup row it belongs to."""
    out: dict[RowKey, Figures] = {}
    keys = keys_of(case)
    for day, figures in case_figures(case).items():
        for dim, key in keys:
            out[(day, dim, key)] = figures
    return out


def contribution_to_json(contrib: Mapping[RowKey, Figures]) -> dict[str, Any]:
    """Stored compactly: the per-day figures once, and the keys they are spread over."""
    days: dict[str, Any] = {}
    keys: set[tuple[str, str]] = set()
    for (day, dim, key), figures in contrib.items():
        days[day.isoformat()] = figures.to_json()
        keys.add((dim, key))
    return {"days": days, "keys": sorted([list(k) for k in keys])}


def contribution_from_json(data: Mapping[str, Any] | None) -> dict[RowKey, Figures]:
    if not data:
        return {}
    out: dict[RowKey, Figures] = {}
    keys = [(str(k[0]), str(k[1])) for k in data.get("keys", [])]
    for day_text, raw in data.get("days", {}).items():
        figures = Figures.from_json(raw)
        day = date.fromisoformat(day_text)
        for dim, key in keys:
            out[(day, dim, key)] = figures
    return out


def delta(old: Mapping[RowKey, Figures], new: Mapping[RowKey, Figures]) -> dict[RowKey, Figures]:
    """``new - old`` per row, leaving out rows that do not change."""
    out: dict[RowKey, Figures] = {}
    for key in set(old) | set(new):
        d = Figures()
        if key in new:
            d.merge(new[key])
        if key in old:
            d.merge(old[key], sign=-1)
        if not d.is_zero():
            out[key] = d
    return out


def accumulate(contribs: Iterable[Mapping[RowKey, Figures]]) -> dict[RowKey, Figures]:
    """Sum many contributions (a rebuild, or the bench's generator)."""
    out: dict[RowKey, Figures] = {}
    for contrib in contribs:
        for key, figures in contrib.items():
            out.setdefault(key, Figures()).merge(figures)
    return out
