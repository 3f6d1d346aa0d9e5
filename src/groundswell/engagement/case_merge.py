"""Merging one customer's duplicate case into another.

One case per customer is the rule (``cases.open_or_attach``), but a customer can hold
two active cases: they wrote on two networks before their identities were matched, and
merging the contacts brought both cases to one contact. The agent keeps one: the other's
conversations (so its messages and the replies sent on them) and notes move to it, its
tags are added, and an unanswered first-response target keeps the earlier of the two,
since the customer has waited since their first message. The merged case is resolved
and closed with "merged into #N" on its timeline, as help desks treat a merged ticket;
its own history (events, replies, surveys) stays where it happened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from groundswell.core.errors import InvalidInputError
from groundswell.engagement import cases, lifecycle, sla
from groundswell.engagement.models import Case, CaseConversation, Note


def merge_into(
    session: Session, *, target_id: int, source_id: int, actor_id: int | None, now: datetime
) -> Case:
    """Merge case ``source_id`` into case ``target_id``; returns the target."""
    if source_id == target_id:
        raise InvalidInputError("a case cannot be merged into itself", field="source_id")
    target = cases.get_case(session, target_id)
    source = cases.get_case(session, source_id)
    if target.contact_id is None or source.contact_id != target.contact_id:
        raise InvalidInputError(
            f"case {source_id} belongs to another customer than case {target_id}",
            field="source_id",
        )
    for case, field in ((target, "case_id"), (source, "source_id")):
        if case.status not in lifecycle.ACTIVE:
            raise InvalidInputError(
                f"case {case.id} is {case.status}: only active cases are merged", field=field
            )
    _move_conversations(session, source_id=source_id, target_id=target_id)
    session.execute(
        update(Note)
        .where(Note.case_id == source_id)
        .values(case_id=target_id)
        .execution_options(synchronize_session=False)
    )
    added = [t for t in source.tags or () if t not in (target.tags or ())]
    if added:
        cases.set_tags(session, case_id=target_id, add=added, remove=[], actor_id=actor_id, now=now)
    if target.first_responded_at is None and source.first_responded_at is None:
        dues = [d for d in (target.first_response_due, source.first_response_due) if d]
        target.first_response_due = min(dues) if dues else None
    if source.last_customer_at and (
        target.last_customer_at is None or source.last_customer_at > target.last_customer_at
    ):
        target.last_customer_at = source.last_customer_at
        target.channel = source.channel  # replies go where the customer wrote last
    target.influence = max(target.influence or 0.0, source.influence or 0.0)
    if target.pending_since is None:
        sla.refresh_next_due(target)
    cases.rescore(target, now=now)
    cases.record(
        session,
        target,
        "merged",
        actor_id=actor_id,
        now=now,
        source_id=source_id,
        subject=source.subject,
    )
    cases.record(session, source, "merged", actor_id=actor_id, now=now, into_id=target_id)
    cases.change_status(session, case_id=source_id, action="resolve", actor_id=actor_id, now=now)
    cases.change_status(session, case_id=source_id, action="close", actor_id=actor_id, now=now)
    session.flush()
    return target


def _move_conversations(session: Session, *, source_id: int, target_id: int) -> None:
    """The source's conversation links, to the target (a link both hold is dropped)."""
    held = set(
        session.scalars(
            select(CaseConversation.conversation_id).where(CaseConversation.case_id == target_id)
        )
    )
    for link in session.scalars(
        select(CaseConversation).where(CaseConversation.case_id == source_id)
    ).all():
        conversation_id = link.conversation_id
        session.delete(link)
        if conversation_id not in held:
            session.add(CaseConversation(case_id=target_id, conversation_id=conversation_id))
            held.add(conversation_id)
    session.flush()
