"""Read what the rollup needs of many cases at once (a handful of queries per batch).

Only column selects: this runs inside the session's ``after_flush`` and must not load
or change the objects being flushed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.analytics.engagement.contribution import CaseFacts, Message
from groundswell.crm.models import Interaction
from groundswell.engagement.config_models import SlaPolicy
from groundswell.engagement.models import Case, CaseConversation, QueueMember
from groundswell.engagement.reply_models import CsatSurvey, OutboundReply
from groundswell.engagement.sla import schedule_of

ANSWERING_STATES = ("queued", "sending", "sent", "needs_check", "failed")
"""A reply counts as an answer once it left the approval step (as the SLA clock counts it)."""


def home_teams(session: Session, user_ids: Sequence[int]) -> dict[int, int]:
    """An agent's team: the first queue (lowest id) they are a member of."""
    if not user_ids:
        return {}
    out: dict[int, int] = {}
    rows = session.execute(
        select(QueueMember.user_id, QueueMember.queue_id)
        .where(QueueMember.user_id.in_(user_ids))
        .order_by(QueueMember.queue_id)
    )
    for user_id, queue_id in rows:
        out.setdefault(user_id, queue_id)
    return out


def load_facts(session: Session, case_ids: Sequence[int]) -> list[CaseFacts]:
    ids = sorted(set(case_ids))
    if not ids:
        return []
    cases = session.execute(
        select(
            Case.id,
            Case.opened_at,
            Case.first_responded_at,
            Case.resolved_at,
            Case.channel,
            Case.priority_label,
            Case.assignee_id,
            Case.queue_id,
            Case.sla_policy_id,
        ).where(Case.id.in_(ids))
    ).all()
    policies = {p.id: p for p in session.scalars(select(SlaPolicy)).all()}
    teams = home_teams(session, [c.assignee_id for c in cases if c.assignee_id is not None])

    messages: dict[int, list[Message]] = defaultdict(list)
    subjects: dict[int, set[int]] = defaultdict(set)
    for case_id, at, sentiment, subject_ids in session.execute(
        select(
            CaseConversation.case_id,
            Interaction.created_at,
            Interaction.sentiment_score,
            Interaction.subject_ids,
        )
        .join(Interaction, Interaction.conversation_id == CaseConversation.conversation_id)
        .where(CaseConversation.case_id.in_(ids), Interaction.direction == "in")
    ):
        messages[case_id].append(Message(at=at, inbound=True, sentiment=sentiment))
        subjects[case_id].update(int(s) for s in subject_ids or ())
    for case_id, at in session.execute(
        select(OutboundReply.case_id, OutboundReply.created_at).where(
            OutboundReply.case_id.in_(ids),
            OutboundReply.kind == "reply",
            OutboundReply.status.in_(ANSWERING_STATES),
        )
    ):
        messages[case_id].append(Message(at=at, inbound=False))
    csat: dict[int, tuple[int, object]] = {}
    for case_id, score, answered_at in session.execute(
        select(CsatSurvey.case_id, CsatSurvey.score, CsatSurvey.answered_at)
        .where(CsatSurvey.case_id.in_(ids), CsatSurvey.answered_at.is_not(None))
        .order_by(CsatSurvey.answered_at)
    ):
        if score is not None:
            csat[case_id] = (score, answered_at)

    out = []
    for c in cases:
        policy = policies.get(c.sla_policy_id) if c.sla_policy_id else None
        score_at = csat.get(c.id)
        out.append(
            CaseFacts(
                case_id=c.id,
                opened_at=c.opened_at,
                first_responded_at=c.first_responded_at,
                resolved_at=c.resolved_at,
                channel=c.channel,
                priority=c.priority_label,
                agent_id=c.assignee_id,
                team_id=teams.get(c.assignee_id) if c.assignee_id else c.queue_id,
                queue_id=c.queue_id,
                schedule=schedule_of(policy),
                first_response_min=policy.first_response_min if policy else None,
                resolution_min=policy.resolution_min if policy else None,
                messages=tuple(messages.get(c.id, ())),
                subject_ids=tuple(sorted(subjects.get(c.id, ()))),
                csat_score=score_at[0] if score_at else None,
                csat_at=score_at[1] if score_at else None,  # type: ignore[arg-type]
            )
        )
    return out
