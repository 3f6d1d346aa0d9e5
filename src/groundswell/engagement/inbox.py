"""The inbox and the conversation view: read-only queries shaped for the pages and API.

The first inbox page is one indexed query (status + priority, or status + due time)
with a LIMIT, whatever the number of open cases. The intent filter matches the JSON
text of the case's list; the tag filter looks the tag up in ``eng_case_tags`` (indexed by
tag), so a rare tag does not walk every open case.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from groundswell.auth.models import User
from groundswell.channels.models import Channel
from groundswell.crm.models import Contact, Identity, Interaction
from groundswell.crm.segments import segment_members
from groundswell.engagement import lifecycle
from groundswell.engagement.cases import get_case
from groundswell.engagement.config_models import SlaPolicy
from groundswell.engagement.models import (
    Case,
    CaseConversation,
    CaseEvent,
    CaseTag,
    Note,
    QueueMember,
)
from groundswell.engagement.reply_models import OutboundReply
from groundswell.engagement.schemas import (
    CaseDetail,
    CaseRead,
    CaseRow,
    CustomerPanel,
    EventRead,
    InboxFilters,
    InboxPage,
    NoteRead,
    ReplyRead,
    ThreadItem,
)

BREACHING_SOON = timedelta(minutes=15)
"""How close to its due time a case without an SLA policy counts as breaching soon."""


def breaching(session: Session, now: datetime) -> ColumnElement[bool]:
    """Past due, or inside its policy's warning window (``warn_before_min``).

    A flat hour put every new case of a 30-minute policy in the view from the minute it
    opened; the policy's own warning says when a case is about to breach, and the view
    now shows the cases it warned about, and those already past due."""
    due = Case.next_due_at
    windows = [
        and_(Case.sla_policy_id == p.id, due <= now + timedelta(minutes=p.warn_before_min))
        for p in session.scalars(select(SlaPolicy))
    ]
    windows.append(and_(Case.sla_policy_id.is_(None), due <= now + BREACHING_SOON))
    return and_(due.is_not(None), or_(*windows))


def list_cases(
    session: Session, *, user_id: int, filters: InboxFilters, now: datetime
) -> InboxPage:
    stmt = select(Case)
    if filters.status == "active":
        stmt = stmt.where(Case.status.in_(lifecycle.ACTIVE))
    else:
        stmt = stmt.where(Case.status == filters.status)
    view = filters.view
    if view == "mine":
        stmt = stmt.where(Case.assignee_id == user_id)
    elif view == "unassigned":
        stmt = stmt.where(Case.assignee_id.is_(None))
    elif view == "team":
        queues = select(QueueMember.queue_id).where(QueueMember.user_id == user_id)
        stmt = stmt.where(Case.queue_id.in_(queues))
    elif view == "breaching":
        stmt = stmt.where(breaching(session, now))
    elif view == "approval":
        waiting = select(OutboundReply.case_id).where(OutboundReply.status == "awaiting_approval")
        stmt = stmt.where(Case.id.in_(waiting))
    if filters.channel:
        stmt = stmt.where(Case.channel == filters.channel)
    if filters.queue_id is not None:
        stmt = stmt.where(Case.queue_id == filters.queue_id)
    if filters.priority:
        stmt = stmt.where(Case.priority_label == filters.priority)
    if filters.language:
        stmt = stmt.where(Case.language == filters.language)
    if filters.sentiment == "negative":
        stmt = stmt.where(Case.sentiment_score < -0.05)
    elif filters.sentiment == "positive":
        stmt = stmt.where(Case.sentiment_score > 0.05)
    elif filters.sentiment == "neutral":
        stmt = stmt.where(Case.sentiment_score.between(-0.05, 0.05))
    if filters.intent:
        stmt = stmt.where(
            cast(Case.intents, String).like(f'%"{_like(filters.intent)}"%', escape="\\")
        )
    if filters.tag:
        tagged = select(CaseTag.case_id).where(CaseTag.tag == filters.tag.strip().lower())
        stmt = stmt.where(Case.id.in_(tagged))
    if filters.segment_id is not None:
        members = segment_members(session, segment_id=filters.segment_id, missing_ok=True)
        stmt = stmt.where(Case.contact_id.in_(members))
    if filters.sort == "due" and view == "breaching":
        stmt = stmt.order_by(Case.next_due_at, Case.id)  # no NULLs here: the index serves it
    elif filters.sort == "due":
        stmt = stmt.order_by(Case.next_due_at.is_(None), Case.next_due_at, Case.id)
    elif filters.sort == "recent":
        stmt = stmt.order_by(Case.last_activity_at.desc(), Case.id.desc())
    else:
        stmt = stmt.order_by(Case.priority_score.desc(), Case.id.desc())
    # The (priority_score, id) index is walked in order and the filters applied on the way,
    # so the first page stops after about limit / selectivity rows instead of sorting all.
    rows = session.scalars(stmt.limit(filters.limit + 1).offset(filters.offset)).all()
    more = len(rows) > filters.limit
    return InboxPage(
        cases=[CaseRow.model_validate(r) for r in rows[: filters.limit]],
        next_offset=filters.offset + filters.limit if more else None,
    )


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


def case_detail(session: Session, *, case_id: int) -> CaseDetail:
    case = get_case(session, case_id)
    conv_ids = select(CaseConversation.conversation_id).where(CaseConversation.case_id == case.id)
    rows = session.execute(
        select(Interaction, Channel.key, Identity.handle, Identity.display_name)
        .join(Channel, Channel.id == Interaction.channel_id)
        .outerjoin(Identity, Identity.id == Interaction.identity_id)
        .where(Interaction.conversation_id.in_(conv_ids))
        .order_by(Interaction.created_at, Interaction.id)
        .limit(500)
    ).all()
    outbox = {
        r.interaction_id: ReplyRead.model_validate(r)
        for r in session.scalars(select(OutboundReply).where(OutboundReply.case_id == case.id))
    }
    thread = [
        ThreadItem(
            interaction_id=i.id,
            conversation_id=i.conversation_id,
            channel=key,
            direction=i.direction,
            text=i.text,
            created_at=i.created_at,
            author=(handle or name) if i.direction == "in" else "us",
            sentiment_label=i.sentiment_label,
            sentiment_score=i.sentiment_score,
            intents=sorted((i.intents or {}).keys()) or ([i.intent] if i.intent else []),
            url=i.url,
            reply=outbox.get(i.id),
        )
        for i, key, handle, name in rows
    ]
    notes = [
        NoteRead.model_validate(n)
        for n in session.scalars(select(Note).where(Note.case_id == case.id).order_by(Note.id))
    ]
    events = [
        EventRead.model_validate(e)
        for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id).limit(500)
        )
    ]
    return CaseDetail(
        case=CaseRead.model_validate(case),
        thread=thread,
        notes=notes,
        events=events,
        customer=customer_panel(session, case=case),
    )


def customer_panel(session: Session, *, case: Case) -> CustomerPanel:
    contact = session.get(Contact, case.contact_id) if case.contact_id else None
    identities = []
    other: list[CaseRow] = []
    trend: list[float] = []
    if contact is not None:
        identities = [
            {
                "id": i.id,
                "platform": i.platform,
                "handle": i.handle,
                "followers": i.followers,
                "verified": i.verified,
            }
            for i in session.scalars(
                select(Identity).where(Identity.contact_id == contact.id).limit(20)
            )
        ]
        other = [
            CaseRow.model_validate(c)
            for c in session.scalars(
                select(Case)
                .where(Case.contact_id == contact.id, Case.id != case.id)
                .order_by(Case.id.desc())
                .limit(10)
            )
        ]
        scores = session.scalars(
            select(Interaction.sentiment_score)
            .where(
                Interaction.contact_id == contact.id,
                Interaction.direction == "in",
                Interaction.sentiment_score.is_not(None),
            )
            .order_by(Interaction.created_at.desc())
            .limit(20)
        ).all()
        trend = [round(float(s), 2) for s in reversed(scores) if s is not None]
    return CustomerPanel(
        contact_id=contact.id if contact else None,
        name=contact.display_name if contact else None,
        email=contact.email if contact else None,
        identities=identities,
        other_cases=other,
        sentiment_trend=trend,
        influence=case.influence,
        customer_value=case.customer_value,
    )


def user_names(session: Session) -> dict[int, str]:
    return {
        u.id: (u.name or u.email)
        for u in session.scalars(select(User).where(User.active.is_(True)))
    }


def counts_by_view(session: Session, *, user_id: int, now: datetime) -> dict[str, int]:
    active = Case.status.in_(lifecycle.ACTIVE)

    def n(*conds: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(Case).where(active, *conds)
        return int(session.scalar(stmt) or 0)

    return {
        "mine": n(Case.assignee_id == user_id),
        "unassigned": n(Case.assignee_id.is_(None)),
        "approval": int(
            session.scalar(
                select(func.count())
                .select_from(OutboundReply)
                .where(OutboundReply.status == "awaiting_approval")
            )
            or 0
        ),
        "breaching": n(breaching(session, now)),
    }
