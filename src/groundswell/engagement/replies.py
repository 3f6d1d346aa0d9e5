"""Replies: checked, stored at once as an outbound interaction plus an outbox row, then
sent by the sender worker; approvals; and the outbox operations the worker uses.

Nothing is queued that the channel or the reply policy would refuse: the checks run
first and raise ``ReplyRefused`` naming the field. The outbox row's idempotency key is
fixed at creation, so retries and restarts hand the connector the same key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from groundswell.auth.audit import Actor
from groundswell.auth.audit import record as audit_record
from groundswell.auth.models import User
from groundswell.channels.base import Capabilities, Reply
from groundswell.channels.models import Channel
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.models import Identity, Interaction
from groundswell.crm.visibility import stored_private
from groundswell.engagement import sla
from groundswell.engagement.cases import get_case, record
from groundswell.engagement.config_models import ReplyPolicyRow
from groundswell.engagement.models import Agent, Case, CaseConversation
from groundswell.engagement.reply_models import OutboundReply
from groundswell.engagement.reply_policy import ReplyFacts, ReplyPolicy, ReplyRefused, check_reply
from groundswell.listening.alerts.models import Alert


@dataclass(frozen=True, slots=True)
class Author:
    id: int | None
    role: str


def load_policy(session: Session) -> ReplyPolicy:
    row = session.get(ReplyPolicyRow, 1)
    if row is None:
        return ReplyPolicy()
    return ReplyPolicy(
        may_reply=row.may_reply,
        approval_influence=row.approval_influence,
        approve_negative_in_alert=row.approve_negative_in_alert,
        approve_trainees=row.approve_trainees,
    )


def latest_inbound(session: Session, case: Case, channel: str | None = None) -> Interaction | None:
    """The customer's latest message on the case (on ``channel`` only, when given)."""
    conv_ids = select(CaseConversation.conversation_id).where(CaseConversation.case_id == case.id)
    stmt = select(Interaction).where(
        Interaction.conversation_id.in_(conv_ids), Interaction.direction == "in"
    )
    if channel is not None:
        stmt = stmt.join(Channel, Channel.id == Interaction.channel_id).where(
            Channel.key == channel
        )
    return session.scalar(
        stmt.order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(1)
    )


def case_channels(session: Session, case: Case) -> list[str]:
    """The channels the customer wrote on in this case, latest first."""
    conv_ids = select(CaseConversation.conversation_id).where(CaseConversation.case_id == case.id)
    rows = session.execute(
        select(Channel.key, func.max(Interaction.created_at))
        .join(Channel, Channel.id == Interaction.channel_id)
        .where(Interaction.conversation_id.in_(conv_ids), Interaction.direction == "in")
        .group_by(Channel.key)
        .order_by(func.max(Interaction.created_at).desc())
    ).all()
    return [str(key) for key, _ in rows]


def _negative_in_open_alert(session: Session, target: Interaction) -> bool:
    if target.sentiment_label != "negative" or not target.subject_ids:
        return False
    found = session.scalar(
        select(Alert.id)
        .where(Alert.subject_id.in_(list(target.subject_ids)), Alert.status != "resolved")
        .limit(1)
    )
    return found is not None


def queue_reply(
    session: Session,
    *,
    case_id: int,
    author: Author,
    text: str,
    caps: Capabilities,
    now: datetime,
    visibility: str | None = None,
    policy: ReplyPolicy | None = None,
    kind: str = "reply",
    target_interaction_id: int | None = None,
    require_approval: str | None = None,
) -> OutboundReply:
    """Check and store a reply. ``target_interaction_id`` answers one given post (a crisis
    case's bulk reply answers each post in its own channel); ``require_approval`` adds a
    reason that always sends the reply to the approvers."""
    case = get_case(session, case_id)
    target = latest_inbound(session, case)
    if target_interaction_id is not None:
        target = session.get(Interaction, target_interaction_id)
    if target is None:
        raise InvalidInputError(
            f"case {case_id} has no customer message to answer", field="case_id"
        )
    channel = case.channel
    if target_interaction_id is not None:
        channel = (
            session.scalar(select(Channel.key).where(Channel.id == target.channel_id)) or channel
        )
    visibility = visibility or ("public" if caps.public else "private")
    in_training = False
    if author.id is not None:
        agent = session.get(Agent, author.id)
        in_training = bool(agent and agent.in_training)
    identity = session.get(Identity, target.identity_id) if target.identity_id else None
    reasons = check_reply(
        policy or load_policy(session),
        caps,
        ReplyFacts(
            role=author.role,
            channel=channel,
            text=text,
            visibility=visibility,
            author_influence=float(target.influence or 0.0),
            negative_in_open_alert=_negative_in_open_alert(session, target),
            agent_in_training=in_training,
            last_customer_at=target.created_at,
            now=now,
        ),
    )
    if require_approval:
        reasons = [*reasons, require_approval]
    key = secrets.token_hex(16)
    channel_id = ChannelIds().resolve(session, {channel})[channel]
    out = Interaction(
        channel_id=channel_id,
        external_id=f"gs-out:{key}",
        direction="out",
        contact_id=case.contact_id,
        conversation_id=target.conversation_id,
        text=text.strip(),
        private=stored_private(
            flagged=visibility == "private" or target.private, channel_key=channel
        ),
        created_at=now,
        ingested_at=now,
        reply_to_external_id=target.external_id,
        subject_ids=[],
        entities={},
        influence=0.0,
        enrichment_versions={},
    )
    session.add(out)
    session.flush()
    reply = OutboundReply(
        case_id=case.id,
        interaction_id=out.id,
        channel=channel,
        text=text.strip(),
        visibility=visibility,
        in_reply_to_external_id=target.external_id,
        recipient=(identity.handle or identity.external_id) if identity else None,
        idempotency_key=key,
        status="awaiting_approval" if reasons else "queued",
        approval_reasons="; ".join(reasons) or None,
        attempts=0,
        next_attempt_at=now,
        author_id=author.id,
        kind=kind,
        created_at=now,
    )
    session.add(reply)
    session.flush()
    record(
        session,
        case,
        "reply",
        actor_id=author.id,
        now=now,
        reply_id=reply.id,
        status=reply.status,
        reply_kind=kind,
    )
    if kind == "reply":
        if case.status == "new":
            case.status = "open"
        if reply.status == "queued":  # a reply waiting for approval has not answered yet
            _answered(session, case, now=now)
    return reply


def _answered(session: Session, case: Case, *, now: datetime) -> None:
    from groundswell.engagement.cases import rescore

    sla.on_agent_reply(session, case, now=now)
    rescore(case, now=now)


def _audit_decision(
    session: Session, user_id: int | None, reply: OutboundReply, action: str
) -> None:
    user = session.get(User, user_id) if user_id is not None else None
    audit_record(
        session,
        actor=Actor(user_id=user_id, label=user.email if user else f"user #{user_id}"),
        action=action,
        target_type="reply",
        target_id=reply.id,
        details={"case_id": reply.case_id},
    )


def decide(
    session: Session,
    *,
    reply_id: int,
    approver: Author,
    approve: bool,
    now: datetime,
    text: str | None = None,
    reason: str | None = None,
    caps: Capabilities | None = None,
) -> OutboundReply:
    reply = session.get(OutboundReply, reply_id)
    if reply is None:
        raise NotFoundError("reply", reply_id)
    if approver.role not in ReplyPolicy().approvers:
        raise ReplyRefused("role", f"a {approver.role} may not approve replies", status=403)
    if reply.status != "awaiting_approval":
        raise InvalidInputError(
            f"reply {reply_id} is {reply.status}, not awaiting approval", field="reply_id"
        )
    case = get_case(session, reply.case_id)
    edited = text is not None and text.strip() != reply.text
    if approve:
        if edited and text is not None:
            if caps is not None and len(text.strip()) > caps.max_length:
                raise ReplyRefused(
                    "text",
                    f"{len(text.strip())} characters; "
                    f"{reply.channel} allows at most {caps.max_length}",
                )
            if not text.strip():
                raise ReplyRefused("text", "the reply is empty")
            reply.text = text.strip()
            out = session.get(Interaction, reply.interaction_id)
            if out is not None:
                out.text = reply.text
        reply.status, reply.approved_by, reply.next_attempt_at = "queued", approver.id, now
        if reply.kind == "reply":
            _answered(session, case, now=now)
        record(
            session,
            case,
            "reply_approved",
            actor_id=approver.id,
            now=now,
            reply_id=reply.id,
            edited=edited,
        )
        _audit_decision(session, approver.id, reply, "reply.approve")
    else:
        if not (reason or "").strip():
            raise InvalidInputError("a rejection needs a reason", field="reason")
        reply.status, reply.reject_reason, reply.approved_by = "rejected", reason, approver.id
        record(
            session,
            case,
            "reply_rejected",
            actor_id=approver.id,
            now=now,
            reply_id=reply.id,
            reason=reason,
        )
        _audit_decision(session, approver.id, reply, "reply.reject")
    return reply


# The sender worker's side of the outbox.

SEND_LEASE = timedelta(seconds=60)


def to_reply(row: OutboundReply) -> Reply:
    subject, references = _thread_headers(row)
    return Reply(
        channel=row.channel,
        text=row.text,
        idempotency_key=row.idempotency_key,
        visibility="private" if row.visibility == "private" else "public",
        in_reply_to_external_id=row.in_reply_to_external_id,
        recipient=row.recipient,
        subject=subject,
        references=references,
    )


def _thread_headers(row: OutboundReply) -> tuple[str | None, tuple[str, ...]]:
    """The answered message's subject (as ``Re: …``) and its ``References``.

    E-mail threads by these headers: without them the customer's client files our
    answer as a new conversation. Other networks carry neither and get ``(None, ())``.
    """
    session = object_session(row)
    if session is None or not row.in_reply_to_external_id:
        return None, ()
    out = session.get(Interaction, row.interaction_id)
    if out is None:
        return None, ()
    answered = session.scalar(
        select(Interaction).where(
            Interaction.channel_id == out.channel_id,
            Interaction.external_id == row.in_reply_to_external_id,
        )
    )
    raw = answered.raw if answered is not None and isinstance(answered.raw, dict) else {}
    subject = str(raw.get("subject") or "").strip()
    if subject and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    refs = raw.get("references")
    references = tuple(str(r) for r in refs if isinstance(r, str)) if isinstance(refs, list) else ()
    return subject or None, references


def claim_due(session: Session, *, now: datetime, limit: int) -> list[OutboundReply]:
    """Queued or failed-and-due rows, moved to ``sending`` (commit before the network call)."""
    stmt = (
        select(OutboundReply)
        .where(OutboundReply.status == "queued", OutboundReply.next_attempt_at <= now)
        .order_by(OutboundReply.next_attempt_at, OutboundReply.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.scalars(stmt))
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + SEND_LEASE
    session.flush()
    return rows


def in_doubt(session: Session, *, now: datetime, limit: int) -> list[OutboundReply]:
    """Rows left ``sending`` past their lease: a sender died after (maybe) posting."""
    stmt = (
        select(OutboundReply)
        .where(OutboundReply.status == "sending", OutboundReply.next_attempt_at <= now)
        .order_by(OutboundReply.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.scalars(stmt))
    for row in rows:
        row.next_attempt_at = now + SEND_LEASE
    session.flush()
    return rows


def mark_sent(
    session: Session, *, reply_id: int, external_id: str, url: str | None, now: datetime
) -> None:
    row = session.get(OutboundReply, reply_id)
    if row is None:
        return
    row.status, row.external_id, row.url, row.sent_at, row.last_error = (
        "sent",
        external_id,
        url,
        now,
        None,
    )
    out = session.get(Interaction, row.interaction_id)
    if out is not None:
        out.url = url or out.url
        _adopt_network_id(session, out, external_id)
    case = session.get(Case, row.case_id)
    if case is not None:
        record(
            session,
            case,
            "reply_sent",
            actor_id=None,
            now=now,
            reply_id=row.id,
            external_id=external_id,
        )


def _adopt_network_id(session: Session, out: Interaction, external_id: str) -> None:
    """The sent reply takes the network's id (tweet id, e-mail Message-ID…).

    The customer's answer names that id as its parent (``In-Reply-To`` for e-mail), so
    the pipeline threads it into this conversation and its case reopens instead of a new
    case starting. Kept as ``gs-out:…`` when the channel already stores that id (our own
    copy read back from the network), which then threads the answer just the same.
    """
    if not external_id or len(external_id) > 200 or out.external_id == external_id:
        return
    taken = session.scalar(
        select(Interaction.id).where(
            Interaction.channel_id == out.channel_id, Interaction.external_id == external_id
        )
    )
    if taken is None:
        out.external_id = external_id


def mark_failed(
    session: Session,
    *,
    reply_id: int,
    reason: str,
    retry_at: datetime | None,
    now: datetime,
    needs_check: bool = False,
) -> None:
    row = session.get(OutboundReply, reply_id)
    if row is None:
        return
    row.last_error = f"attempt {row.attempts}: {reason}"[:1000]
    if needs_check:
        row.status = "needs_check"
    elif retry_at is None:
        row.status = "failed"
    else:
        row.status, row.next_attempt_at = "queued", retry_at
    case = session.get(Case, row.case_id)
    if case is not None and row.status != "queued":
        record(
            session,
            case,
            "reply_" + row.status,
            actor_id=None,
            now=now,
            reply_id=row.id,
            reason=reason[:300],
        )


def replies_of_case(session: Session, case_id: int) -> list[OutboundReply]:
    return list(
        session.scalars(
            select(OutboundReply).where(OutboundReply.case_id == case_id).order_by(OutboundReply.id)
        )
    )


def awaiting_approval(session: Session, *, limit: int = 100) -> list[OutboundReply]:
    return list(
        session.scalars(
            select(OutboundReply)
            .where(OutboundReply.status == "awaiting_approval")
            .order_by(OutboundReply.id)
            .limit(limit)
        )
    )
