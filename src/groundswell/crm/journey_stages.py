"""Journey stages for many contacts at once, the paths between them, and reply lift.

``crm/journey.py`` explains one contact's stage moves. Here the same rules
(:func:`groundswell.crm.journey.infer`) run over many contacts from a few grouped
queries (first touch, first post per intent, purchases), so segments can filter by
stage and the aggregate can count transitions and where customers stop.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.crm.clv.models import Transaction
from groundswell.crm.journey import STAGES, StageMove, infer
from groundswell.crm.models import Contact, Interaction

WANTED = ("purchase_intent", "complaint", "support_question", "praise")


def stages_of(session: Session, contact_ids: Sequence[int]) -> dict[int, list[StageMove]]:
    """Stage moves per contact (contacts without any touch or purchase are left out)."""
    ids = list(contact_ids)
    events: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        inbound = (Interaction.contact_id.in_(chunk), Interaction.direction == "in")
        for cid, first in session.execute(
            select(Interaction.contact_id, func.min(Interaction.created_at))
            .where(*inbound)
            .group_by(Interaction.contact_id)
        ):
            if cid is not None and first is not None:
                events[cid].append((first, "first_touch"))
        firsts: dict[int, datetime] = {}
        for cid, day in session.execute(
            select(Transaction.contact_id, Transaction.occurred_on).where(
                Transaction.contact_id.in_(chunk)
            )
        ):
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            events[cid].append((at, "purchase"))
            firsts[cid] = min(firsts.get(cid, at), at)
        for cid, intent, at in session.execute(
            select(Interaction.contact_id, Interaction.intent, func.min(Interaction.created_at))
            .where(*inbound, Interaction.intent.in_(WANTED))
            .group_by(Interaction.contact_id, Interaction.intent)
        ):
            if cid is not None and intent and at is not None:
                events[cid].append((at, intent))
        buyers = list(firsts)
        if buyers:
            # After the first purchase the same intents mean service or loyalty: the first
            # such post after it counts (what journey_of's second window does).
            seen: set[tuple[int, str]] = set()
            for cid, intent, at in session.execute(
                select(Interaction.contact_id, Interaction.intent, Interaction.created_at)
                .where(
                    Interaction.contact_id.in_(buyers),
                    Interaction.direction == "in",
                    Interaction.intent.in_(WANTED),
                )
                .order_by(Interaction.created_at)
            ):
                if cid is None or not intent or (cid, intent) in seen:
                    continue
                if at >= firsts[cid]:
                    seen.add((cid, intent))
                    events[cid].append((at, intent))
    return {cid: moves for cid, evs in events.items() if (moves := infer(evs))}


class Transition(BaseModel):
    source: str
    """A stage, or ``(start)``."""
    target: str
    contacts: int


class StageFunnel(BaseModel):
    stage: str
    reached: int
    stayed: int
    """Contacts whose latest stage is this one: where they dropped off (so far)."""
    drop_off: float
    """``stayed / reached``."""


class PathCount(BaseModel):
    path: list[str]
    contacts: int


class JourneyAggregate(BaseModel):
    contacts: int
    transitions: list[Transition]
    funnel: list[StageFunnel]
    paths: list[PathCount]


def journey_aggregate(session: Session, *, top: int = 10) -> JourneyAggregate:
    """Transitions, the drop-off per stage and the most common paths over all contacts."""
    ids = list(session.scalars(select(Contact.id).where(Contact.merged_into_id.is_(None))))
    moves = stages_of(session, ids)
    transitions: Counter[tuple[str, str]] = Counter()
    reached: Counter[str] = Counter()
    stayed: Counter[str] = Counter()
    paths: Counter[tuple[str, ...]] = Counter()
    for history in moves.values():
        stages = [m.stage for m in history]
        previous = "(start)"
        for stage in stages:
            transitions[(previous, stage)] += 1
            previous = stage
        for stage in set(stages):
            reached[stage] += 1
        stayed[stages[-1]] += 1
        paths[tuple(stages)] += 1
    return JourneyAggregate(
        contacts=len(moves),
        transitions=[
            Transition(source=s, target=t, contacts=n) for (s, t), n in transitions.most_common()
        ],
        funnel=[
            StageFunnel(
                stage=s,
                reached=reached[s],
                stayed=stayed[s],
                drop_off=stayed[s] / reached[s] if reached[s] else 0.0,
            )
            for s in STAGES
        ],
        paths=[PathCount(path=list(p), contacts=n) for p, n in paths.most_common(top)],
    )


class ReplyLift(BaseModel):
    reply_id: int
    at: datetime
    before: float
    """Sentiment of the customer's last message before the reply."""
    after: float
    """Sentiment of the customer's next message after it."""
    lift: float


class LiftSummary(BaseModel):
    replies: list[ReplyLift]
    mean_lift: float | None


def reply_lift(session: Session, *, contact_id: int, limit: int = 2000) -> LiftSummary:
    """Per agent reply in the contact's threads: next inbound sentiment minus the last one.

    Replies without a scored customer message on both sides are left out; the newest
    ``limit`` messages are read, not the whole history.
    """
    threads = select(Interaction.conversation_id).where(
        Interaction.contact_id == contact_id, Interaction.conversation_id.is_not(None)
    )
    inbound = list(
        session.execute(
            select(Interaction.created_at, Interaction.id, Interaction.sentiment_score)
            .where(
                Interaction.contact_id == contact_id,
                Interaction.direction == "in",
                Interaction.sentiment_score.is_not(None),
            )
            .order_by(Interaction.created_at.desc())
            .limit(limit)
        )
    )
    replies = list(
        session.execute(
            select(Interaction.created_at, Interaction.id)
            .where(Interaction.direction == "out", Interaction.conversation_id.in_(threads))
            .order_by(Interaction.created_at.desc())
            .limit(limit)
        )
    )
    timeline = sorted(
        [(at, 1, i, s) for at, i, s in inbound] + [(at, 0, i, None) for at, i in replies],
        key=lambda r: (r[0], r[1], r[2]),
    )
    out: list[ReplyLift] = []
    last: float | None = None
    waiting: list[tuple[datetime, int, float]] = []
    for at, kind, ident, score in timeline:
        if kind == 1 and score is not None:
            for r_at, r_id, before in waiting:
                out.append(
                    ReplyLift(
                        reply_id=r_id, at=r_at, before=before, after=score, lift=score - before
                    )
                )
            waiting = []
            last = float(score)
        elif kind == 0 and last is not None:
            waiting.append((at, ident, last))
    mean = sum(r.lift for r in out) / len(out) if out else None
    return LiftSummary(replies=list(reversed(out)), mean_lift=mean)
