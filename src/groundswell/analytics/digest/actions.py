"""What to do: concrete actions drawn from the period's data, ranked.

In order: customers waiting for a first answer (by priority, then customer value),
complaints that are rising, channels whose replies lag behind the rest, and alerts still
open. Each line names the case, theme, channel or alert so it can be acted on.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.analytics.digest.period import Period
from groundswell.analytics.digest.schemas import Action, AlertLine, Theme, Why
from groundswell.analytics.digest.why import clip
from groundswell.engagement.models import Case
from groundswell.engagement.priority import NEUTRAL_VALUE

MAX_ACTIONS = 5
UNANSWERED = 3
LAG_FACTOR = 1.5
MIN_CHANNEL_CASES = 3
ACTIVE = ("new", "open", "pending")


def _waited(since: datetime, until: datetime) -> str:
    minutes = int(max(0.0, (until - since).total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


def _value(value: float) -> str:
    """ ", a customer in the 90th percentile by value"; nothing for the neutral default
    (no purchases, or no value model yet), which "customer value 0.50" only dressed up as
    a figure."""
    if value == NEUTRAL_VALUE:
        return ""
    rank = max(1, min(99, round(value * 100)))
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f", a customer in the {rank}{suffix} percentile by value"


def unanswered(session: Session, period: Period, now: datetime) -> list[Action]:
    """Open customer cases without a first response, highest priority and value first."""
    until = min(now, period.end)
    rows = session.scalars(
        select(Case)
        .where(
            Case.status.in_(ACTIVE),
            Case.kind == "customer",
            Case.first_responded_at.is_(None),
            Case.opened_at < period.end,
        )
        .order_by(Case.priority_score.desc(), Case.customer_value.desc(), Case.id)
        .limit(UNANSWERED)
    ).all()
    return [
        Action(
            rank=0,
            kind="unanswered",
            text=(
                f"Answer case #{c.id} on {c.channel} ({c.priority_label} priority"
                f"{_value(c.customer_value)}), waiting {_waited(c.opened_at, until)}: "
                f"“{clip(c.subject, 70)}”"
            ),
            link=f"/inbox/cases/{c.id}",
        )
        for c in rows
    ]


def emerging_complaints(why: Why, negative_change: float | None) -> list[Action]:
    """Themes mostly negative whose words are rising against the baseline."""
    rising = set(why.rising_terms)
    found: list[Theme] = [
        t
        for t in why.themes
        if (t.negative_share or 0) >= 0.5 and any(w.strip() in rising for w in t.label.split(","))
    ]
    actions = [
        Action(
            rank=0,
            kind="emerging_complaint",
            text=(
                f"Rising complaint: “{t.label}” ({t.posts} posts read, "
                f"{(t.negative_share or 0):.0%} negative). Brief the team and prepare a reply."
            ),
        )
        for t in found[:2]
    ]
    if not actions and negative_change is not None and negative_change >= 0.2 and why.themes:
        t = max(why.themes, key=lambda x: x.negative_share or 0)
        actions.append(
            Action(
                rank=0,
                kind="emerging_complaint",
                text=(
                    f"Negative share up {negative_change:.0%} on the baseline; the most "
                    f"negative theme is “{t.label}”."
                ),
            )
        )
    return actions


def lagging_channels(session: Session, period: Period) -> list[Action]:
    """Channels whose first-response median is well above the overall median."""
    rows = session.execute(
        select(Case.channel, Case.opened_at, Case.first_responded_at).where(
            Case.opened_at >= period.start,
            Case.opened_at < period.end,
            Case.first_responded_at.is_not(None),
        )
    ).all()
    by_channel: dict[str, list[float]] = defaultdict(list)
    for channel, opened, responded in rows:
        if responded is None:
            continue
        by_channel[str(channel)].append(max(0.0, (responded - opened).total_seconds() / 60))
    everything = [m for values in by_channel.values() for m in values]
    if len(by_channel) < 2 or not everything:
        return []
    overall = median(everything)
    lagging = sorted(
        (
            (median(values), channel, len(values))
            for channel, values in by_channel.items()
            if len(values) >= MIN_CHANNEL_CASES and median(values) > LAG_FACTOR * max(overall, 1)
        ),
        reverse=True,
    )
    return [
        Action(
            rank=0,
            kind="lagging_channel",
            text=(
                f"Replies on {channel} lag: first response median {m:.0f} min against "
                f"{overall:.0f} min overall ({n} cases). Add cover or a canned answer there."
            ),
        )
        for m, channel, n in lagging[:2]
    ]


def open_alerts(alerts: list[AlertLine]) -> list[Action]:
    return [
        Action(
            rank=0,
            kind="alert",
            text=f"Alert #{a.id} ({a.metric}, severity {a.severity}) is still {a.status}: "
            + clip(a.summary, 110),
            link=f"/drilldown?alert_id={a.id}",
        )
        for a in alerts
        if a.status != "resolved"
    ][:1]


def ranked(*groups: list[Action]) -> list[Action]:
    flat = [a for group in groups for a in group][:MAX_ACTIONS]
    return [a.model_copy(update={"rank": i}) for i, a in enumerate(flat, start=1)]
