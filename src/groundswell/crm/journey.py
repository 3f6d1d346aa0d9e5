"""The journey of one contact: stages inferred from intents and purchases, with the rule.

Stages, in order: awareness → consideration → purchase → service → loyalty. Each
touchpoint may move the contact by one of the rules below; the page shows which rule moved
them and when, so a person can judge it. A sentiment trend (mean per month) goes with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from groundswell.crm.clv.models import Transaction
from groundswell.crm.models import Interaction

STAGES = ("awareness", "consideration", "purchase", "service", "loyalty")
RULES: dict[str, tuple[str, str]] = {
    "first_touch": ("awareness", "first touchpoint on any channel"),
    "purchase_intent": ("consideration", "a post with purchase intent"),
    "purchase": ("purchase", "a purchase was imported"),
    "complaint": ("service", "a complaint or support question after a purchase"),
    "praise": ("loyalty", "praise after a purchase"),
    "repeat_purchase": ("loyalty", "a second purchase"),
}


class StageMove(BaseModel):
    stage: str
    rule: str
    explanation: str
    at: datetime


class Journey(BaseModel):
    stage: str | None
    moves: list[StageMove]
    trend: list[tuple[str, float, int]]
    """(month, mean sentiment, interactions) for each month with inbound interactions."""


def infer(events: list[tuple[datetime, str]]) -> list[StageMove]:
    """Stage moves from (time, event) pairs; events: first_touch, purchase_intent, purchase,
    complaint, support_question, praise.

    The first touch only starts a journey: a customer whose purchases (imported from the
    shop) predate their first message is not back at awareness when they write. At the
    same instant the first touch comes first (the post that is the first touch may also be
    the first complaint).
    """
    moves: list[StageMove] = []
    purchases = 0
    for at, event in sorted(events, key=lambda e: (e[0], e[1] != "first_touch", e[1])):
        if event == "first_touch" and moves:
            continue
        rule = event
        if event == "support_question":
            rule = "complaint"
        if event == "purchase":
            purchases += 1
            rule = "repeat_purchase" if purchases > 1 else "purchase"
        if rule in ("complaint", "praise") and purchases == 0:
            continue  # before any purchase these say nothing about the stage
        if rule not in RULES:
            continue
        stage, explanation = RULES[rule]
        if moves and moves[-1].stage == stage:
            continue
        moves.append(StageMove(stage=stage, rule=rule, explanation=explanation, at=at))
    return moves


def _month(session: Session) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Interaction.created_at, "YYYY-MM")
    return func.strftime("%Y-%m", Interaction.created_at)


def journey_of(session: Session, *, contact_id: int, months: int = 6) -> Journey:
    """A few aggregate queries, never a scan of the whole history into Python."""
    mine = (Interaction.contact_id == contact_id, Interaction.direction == "in")
    first = session.scalar(select(func.min(Interaction.created_at)).where(*mine))
    days = sorted(
        session.scalars(select(Transaction.occurred_on).where(Transaction.contact_id == contact_id))
    )
    events: list[tuple[datetime, str]] = [
        (datetime(d.year, d.month, d.day, tzinfo=UTC), "purchase") for d in days
    ]
    if first is not None:
        events.append((first, "first_touch"))
    wanted = ("purchase_intent", "complaint", "support_question", "praise")
    windows: list[datetime | None] = [None]
    if days:
        windows.append(datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC))
    for since in windows:
        conditions = [*mine, Interaction.intent.in_(wanted)]
        if since is not None:
            conditions.append(Interaction.created_at >= since)
        for intent, at in session.execute(
            select(Interaction.intent, func.min(Interaction.created_at))
            .where(*conditions)
            .group_by(Interaction.intent)
        ):
            if intent and at is not None:
                events.append((at, intent))
    moves = infer(events)
    trend: list[tuple[str, float, int]] = []
    if first is not None:
        month = _month(session)
        rows: list[tuple[Any, Any, Any]] = session.execute(  # type: ignore[assignment]
            select(month, func.avg(Interaction.sentiment_score), func.count())
            .where(*mine, Interaction.sentiment_score.is_not(None))
            .group_by(month)
            .order_by(month.desc())
            .limit(months)
        ).all()
        trend = [(str(m), float(avg), int(n)) for m, avg, n in reversed(rows) if avg is not None]
    return Journey(stage=moves[-1].stage if moves else None, moves=moves, trend=trend)
