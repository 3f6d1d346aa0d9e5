"""Cases: open or attach on a customer message, lifecycle, assignment, tags, notes.

Every change goes through ``record``, which writes the timeline event and bumps the
case's version (the composer's collision check). Functions take a session and never
commit; the caller owns the transaction.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from groundswell.auth.models import User
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.clv.service import customer_value
from groundswell.crm.models import Contact, ContactKey, Interaction
from groundswell.engagement import lifecycle, sla
from groundswell.engagement.assignment import Candidate, choose
from groundswell.engagement.case_events import announce
from groundswell.engagement.lifecycle import Action, TransitionRefused
from groundswell.engagement.models import (
    Agent,
    Case,
    CaseConversation,
    CaseEvent,
    CaseTag,
    Note,
    Queue,
    QueueMember,
)
from groundswell.engagement.priority import NEUTRAL_VALUE, PRIORITY_BOOST, PriorityInputs, score
from groundswell.notify.models import Delivery

if TYPE_CHECKING:
    from groundswell.engagement.case_batch import CaseBatch

DEFAULT_REOPEN_WINDOW = timedelta(hours=72)
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._-]{1,64})")


def value_of(session: Session, contact_id: int | None) -> float:
    """The priority score's customer-value input: the contact's CLV percentile among valued
    customers (0–1), or the neutral 0.5 when nothing is known (no purchases, no fit yet)."""
    if contact_id is None:
        return NEUTRAL_VALUE
    value = customer_value(session, contact_id=contact_id)
    return NEUTRAL_VALUE if value is None else float(value.percentile)


def record(
    session: Session, case: Case, kind: str, *, actor_id: int | None, now: datetime, **data: Any
) -> None:
    session.add(CaseEvent(case_id=case.id, at=now, actor_id=actor_id, kind=kind, data=data))
    case.version = (case.version or 0) + 1
    case.last_activity_at = now
    announce(session, case, kind, now=now, data=data)


def get_case(session: Session, case_id: int, batch: CaseBatch | None = None) -> Case:
    """``batch``: a case it opened may not be flushed yet, so the session cannot find it."""
    case = batch.case(case_id) if batch is not None else None
    case = case or session.get(Case, case_id)
    if case is None:
        raise NotFoundError("case", case_id)
    return case


def rescore(case: Case, *, now: datetime) -> None:
    p = score(
        PriorityInputs(
            sentiment_score=case.sentiment_score,
            intents=tuple(case.intents or ()),
            influence=case.influence,
            sla_risk=sla.risk(case, now=now),
            customer_value=case.customer_value,
            manual_boost=case.priority_boost,
        )
    )
    case.priority_score, case.priority_label = p.score, p.label
    case.priority_reasons = [[why, points] for why, points in p.reasons]


def known_customer(session: Session, contact_id: int | None) -> bool:
    if contact_id is None:
        return False
    has_case = session.scalar(select(Case.id).where(Case.contact_id == contact_id).limit(1))
    if has_case is not None:
        return True
    return (
        session.scalar(select(ContactKey.id).where(ContactKey.contact_id == contact_id).limit(1))
        is not None
    )


def _intents(row: Interaction) -> list[str]:
    names = list((row.intents or {}).keys())
    if row.intent and row.intent not in names:
        names.insert(0, row.intent)
    return names[:10]


def case_of_conversation(session: Session, conversation_id: int) -> Case | None:
    return session.scalar(
        select(Case)
        .join(CaseConversation, CaseConversation.case_id == Case.id)
        .where(CaseConversation.conversation_id == conversation_id)
        .order_by(Case.id.desc())
        .limit(1)
    )


def open_or_attach(
    session: Session,
    *,
    interaction: Interaction,
    channel: str,
    now: datetime,
    reopen_window: timedelta = DEFAULT_REOPEN_WINDOW,
    actor_id: int | None = None,
    batch: CaseBatch | None = None,
    since: datetime | None = None,
) -> tuple[Case, bool]:
    """The case this customer message belongs to (created if none); True when created.

    The conversation's case first, then the contact's active case (one case per
    customer across channels), else a new one. A resolved case within the reopen window
    is reopened; past it the message starts a new case. With a ``batch`` (the rules
    stage) the lookups are answered from what it loaded for the whole batch.

    ``since``: when a new case's clock starts, if not ``now``. The rules stage passes the
    customer's own post time, so a message that reached us late (a connector that was
    down, a backlog) is not given a fresh SLA: the customer has been waiting since they
    wrote. A person opening a case by hand starts it now.
    """
    start = min(since, now) if since is not None else now
    case = None
    if interaction.conversation_id is not None:
        case = (
            batch.conversation_case.get(interaction.conversation_id)
            if batch is not None
            else case_of_conversation(session, interaction.conversation_id)
        )
    if (
        case is None or case.status in ("resolved", "closed")
    ) and interaction.contact_id is not None:
        active = (
            batch.active_of(interaction.contact_id)
            if batch is not None
            else session.scalar(
                select(Case)
                .where(Case.contact_id == interaction.contact_id, Case.status.in_(lifecycle.ACTIVE))
                .order_by(Case.id.desc())
                .limit(1)
            )
        )
        case = active or case
    created = False
    if case is not None:
        outcome = lifecycle.on_customer_message(
            case.status,  # type: ignore[arg-type]
            resolved_at=case.resolved_at,
            now=now,
            reopen_window=reopen_window,
        )
        if outcome.new_case:
            case = None
        else:
            if outcome.status != case.status:
                was = case.status
                case.status = outcome.status
                if was == "pending":
                    sla.resume(session, case, now=now)
                if outcome.reopened:
                    case.resolved_at = case.closed_at = None
                    sla.start_clock(
                        session, case, now=now, policies=batch.policies if batch else None
                    )
                record(
                    session,
                    case,
                    "reopened" if outcome.reopened else "status",
                    actor_id=actor_id,
                    now=now,
                    old=was,
                    new=case.status,
                    why="customer message",
                )
    if case is None:
        case = Case(
            contact_id=interaction.contact_id,
            subject=" ".join(interaction.text.split())[:120] or "(no text)",
            status="new",
            channel=channel,
            opened_at=start,
            last_activity_at=now,
            customer_value=(
                NEUTRAL_VALUE
                if batch is not None and interaction.contact_id not in batch.valued_contacts
                else value_of(session, interaction.contact_id)
            ),
            tags=[],
            intents=[],
            priority_reasons=[],
            version=1,
        )
        if batch is not None:
            case.id = batch.new_case_id(session)  # type: ignore[assignment]
        session.add(case)
        if case.id is None:
            session.flush()
        created = True
        if batch is not None:
            batch.seen(case, new=True)
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor_id=actor_id,
                kind="created",
                data={"interaction_id": interaction.id},
            )
        )
        announce(session, case, "created", now=now, data={})
    if interaction.conversation_id is not None:
        linked = (
            (case.id, interaction.conversation_id) in batch.links
            if batch is not None
            else session.get(CaseConversation, (case.id, interaction.conversation_id)) is not None
        )
        if not linked:
            session.add(
                CaseConversation(case_id=case.id, conversation_id=interaction.conversation_id)
            )
    case.channel = channel
    case.language = interaction.language or case.language
    case.sentiment_score = interaction.sentiment_score
    case.intents = _intents(interaction)
    case.influence = max(case.influence or 0.0, interaction.influence or 0.0)
    case.last_customer_at = interaction.created_at
    case.last_activity_at = now
    policies = batch.policies if batch is not None else None
    if created:
        rescore(case, now=now)
        sla.start_clock(session, case, now=start, policies=policies)
    else:
        sla.on_customer_message(session, case, now=now)
        case.version += 1
    rescore(case, now=now)
    if batch is not None:
        batch.note(case, interaction.conversation_id)
    else:
        session.flush()
    return case, created


def change_status(
    session: Session, *, case_id: int, action: Action, actor_id: int | None, now: datetime
) -> Case:
    case = get_case(session, case_id)
    try:
        new = lifecycle.transition(case.status, action)  # type: ignore[arg-type]
    except TransitionRefused as exc:
        raise InvalidInputError(str(exc), field="action") from None
    old = case.status
    case.status = new
    if old == "pending" and new != "pending":
        sla.resume(session, case, now=now)
    if new == "pending":
        sla.pause(case, now=now)
    if new == "resolved":
        case.resolved_at = now
        case.next_due_at = None
    if new == "closed":
        case.closed_at = now
    if action == "reopen":
        case.resolved_at = case.closed_at = None
        sla.start_clock(session, case, now=now)
    sla.refresh_next_due(case)
    record(session, case, "status", actor_id=actor_id, now=now, old=old, new=new)
    rescore(case, now=now)
    return case


def _load(session: Session, user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = session.execute(
        select(Case.assignee_id, func.count())
        .where(Case.assignee_id.in_(user_ids), Case.status.in_(lifecycle.ACTIVE))
        .group_by(Case.assignee_id)
    ).all()
    return {int(u): int(n) for u, n in rows if u is not None}


def auto_assign(
    session: Session, *, case: Case, queue: Queue, now: datetime, batch: CaseBatch | None = None
) -> int | None:
    """Pick an agent of ``queue`` by its strategy; None (left in the queue) when nobody fits."""
    if batch is not None:
        members = list(batch.members.get(queue.id, ()))
        agents = {u: batch.agents[u] for u in members if u in batch.agents}
        loads = batch.load_of(members)
    else:
        members = list(
            session.scalars(select(QueueMember.user_id).where(QueueMember.queue_id == queue.id))
        )
        agents = {
            a.user_id: a for a in session.scalars(select(Agent).where(Agent.user_id.in_(members)))
        }
        loads = _load(session, members)
    candidates = [
        Candidate(
            user_id=u,
            load=loads.get(u, 0),
            capacity=agents[u].capacity if u in agents else 10,
            away=agents[u].away if u in agents else False,
            skills=frozenset(agents[u].skills if u in agents else ()),
            languages=frozenset(agents[u].languages if u in agents else ()),
        )
        for u in members
    ]
    chosen = choose(
        candidates,
        strategy="round_robin" if queue.strategy == "round_robin" else "least_loaded",
        skills=frozenset(queue.skills or ()),
        language=case.language,
        last_assigned=queue.last_assigned_user_id,
    )
    if chosen is not None:
        queue.last_assigned_user_id = chosen
    return chosen


def assign(
    session: Session,
    *,
    case_id: int,
    actor_id: int | None,
    now: datetime,
    user_id: int | None = None,
    queue_id: int | None = None,
    auto: bool = False,
    batch: CaseBatch | None = None,
) -> Case:
    case = get_case(session, case_id, batch)
    old, old_queue = case.assignee_id, case.queue_id
    if queue_id is not None:
        queue = session.get(Queue, queue_id)
        if queue is None:
            raise InvalidInputError(f"queue {queue_id} does not exist", field="queue_id")
        case.queue_id = queue_id
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise InvalidInputError(f"user {user_id} does not exist", field="user_id")
    elif auto and case.queue_id is not None:
        queue = session.get(Queue, case.queue_id)
        assert queue is not None
        user_id = auto_assign(session, case=case, queue=queue, now=now, batch=batch)
    if user_id is not None or queue_id is not None:
        if user_id is not None:
            case.assignee_id = user_id
        if case.status == "new" and case.assignee_id is not None:
            case.status = "open"
        if (case.assignee_id, case.queue_id) == (old, old_queue):
            return case  # the same hands: no event (a rule met again by the next message)
        record(
            session,
            case,
            "assigned",
            actor_id=actor_id,
            now=now,
            old=old,
            user_id=case.assignee_id,
            queue_id=case.queue_id,
        )
    return case


def set_tags(
    session: Session,
    *,
    case_id: int,
    add: list[str],
    remove: list[str],
    actor_id: int | None,
    now: datetime,
    batch: CaseBatch | None = None,
) -> Case:
    case = get_case(session, case_id, batch)
    before = list(case.tags or [])
    tags = [t for t in before if t not in remove]
    for t in add:
        t = t.strip().lower()[:50]
        if t and t not in tags:
            tags.append(t)
    case.tags = tags[:30]
    gone = [t for t in before if t not in case.tags]
    if gone:
        session.execute(delete(CaseTag).where(CaseTag.case_id == case.id, CaseTag.tag.in_(gone)))
    added = [t for t in case.tags if t not in before]
    session.add_all(CaseTag(case_id=case.id, tag=t) for t in added)
    if added or gone:  # a tag the case already has (a rule met again) is no event
        record(session, case, "tagged", actor_id=actor_id, now=now, add=added, remove=gone)
    return case


def set_priority(
    session: Session,
    *,
    case: Case,
    level: str,
    actor_id: int | None,
    now: datetime,
    batch: CaseBatch | None = None,
) -> None:
    boost = PRIORITY_BOOST.get(level, 0.0)
    if case.priority_boost == boost:
        return  # already set to this level: nothing to record
    case.priority_boost = boost
    rescore(case, now=now)
    if case.status in ("new", "open", "pending"):
        sla.on_priority_set(
            session, case, now=now, policies=batch.policies if batch is not None else None
        )
    record(
        session,
        case,
        "priority",
        actor_id=actor_id,
        now=now,
        level=level,
        score=case.priority_score,
    )


def mentioned_users(session: Session, text: str) -> list[int]:
    """Users named with @: the part of their e-mail before the @, or their name without spaces."""
    names = {m.lower() for m in MENTION.findall(text)}
    if not names:
        return []
    found = []
    for user in session.scalars(select(User).where(User.active.is_(True))):
        keys = {user.email.split("@")[0].lower()}
        if user.name:
            keys.add(user.name.replace(" ", "").lower())
            keys.add(user.name.split()[0].lower())
        if keys & names:
            found.append(user.id)
    return sorted(found)


def add_note(
    session: Session, *, case_id: int, author_id: int | None, text: str, now: datetime
) -> Note:
    case = get_case(session, case_id)
    text = text.strip()
    if not text:
        raise InvalidInputError("a note cannot be empty", field="text")
    note = Note(
        case_id=case.id,
        author_id=author_id,
        text=text[:5000],
        mentions=mentioned_users(session, text),
        created_at=now,
    )
    session.add(note)
    session.flush()
    record(
        session, case, "note", actor_id=author_id, now=now, note_id=note.id, mentions=note.mentions
    )
    _notify_mentions(session, case, note)
    return note


def _notify_mentions(session: Session, case: Case, note: Note) -> None:
    """Each colleague named in the note finds it among their inbox notifications."""
    author = session.get(User, note.author_id) if note.author_id is not None else None
    who = (author.name or author.email) if author is not None else "A colleague"
    for user_id in note.mentions:
        if user_id == note.author_id:
            continue
        session.add(
            Delivery(
                alert_id=None,
                rule_id=None,
                event="mention",
                kind="in_app",
                target=str(user_id),
                payload={
                    "title": f"{who} mentioned you on case #{case.id}",
                    "lines": [note.text[:300], f"Link: /inbox/cases/{case.id}"],
                    "case_id": case.id,
                },
            )
        )


def contact_name(session: Session, contact_id: int | None) -> str | None:
    if contact_id is None:
        return None
    contact = session.get(Contact, contact_id)
    return contact.display_name if contact else None
