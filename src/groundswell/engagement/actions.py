"""What an agent does on a case, as the API and the pages share it: reply (free text or
canned, with the collision check), macros, resolve with a CSAT link, bulk actions and
the crisis case. Each function takes a session and never commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.base import Capabilities
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.models import Identity, Interaction, InteractionSubject
from groundswell.engagement import cases, csat, replies
from groundswell.engagement.canned import CannedError, render_canned, variables_for
from groundswell.engagement.config import get_canned
from groundswell.engagement.models import Case, CaseConversation, CaseEvent, CaseTag
from groundswell.engagement.reply_models import OutboundReply
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.listening.alerts.models import Alert
from groundswell.listening.models import Subject

CapsOf = Callable[[str], Capabilities | None]


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    role: str
    name: str


class Collision(Exception):
    """The case changed since the composer opened: a newer message or a colleague's reply."""

    def __init__(self, what: list[str], version: int) -> None:
        super().__init__("; ".join(what))
        self.what = what
        self.version = version


def _caps(caps_of: CapsOf, channel: str) -> Capabilities:
    caps = caps_of(channel)
    if caps is None:
        raise ReplyRefused("channel", f"no connector is set up for {channel}; cannot reply there")
    return caps


def collisions(session: Session, *, case: Case, seen_version: int, actor_id: int) -> list[str]:
    """What happened on the case after the version the composer showed."""
    if case.version <= seen_version:
        return []
    found = []
    start = session.scalar(
        select(CaseEvent.id)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.id)
        .offset(max(seen_version - 1, 0))
        .limit(1)
    )
    events = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.id >= (start or 0))
        .order_by(CaseEvent.id)
    ).all()
    for e in events:
        if e.kind == "reply" and e.actor_id not in (None, actor_id):
            found.append("a colleague replied meanwhile")
    last_in = case.last_customer_at
    if last_in is not None and events and last_in >= events[0].at:
        found.append("the customer wrote again meanwhile")
    return sorted(set(found))


def render_for_case(session: Session, *, case: Case, body: str, actor: Actor) -> str:
    target = replies.latest_inbound(session, case)
    identity = session.get(Identity, target.identity_id) if target and target.identity_id else None
    variables = variables_for(
        contact_name=cases.contact_name(session, case.contact_id)
        or (identity.display_name if identity else None),
        handle=identity.handle if identity else None,
        agent_name=actor.name,
        case_id=case.id,
    )
    try:
        return render_canned(body, variables)
    except CannedError as exc:
        raise ReplyRefused("canned_id", str(exc)) from None


def reply(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    caps_of: CapsOf,
    now: datetime,
    text: str | None = None,
    canned_id: int | None = None,
    visibility: str | None = None,
    seen_version: int | None = None,
    force: bool = False,
    secret: str = "",
    public_url: str = "",
    csat_days: int = 7,
    via: str | None = None,
) -> OutboundReply:
    """``via``: answer through another channel the customer wrote on in this case (their
    latest message there), when the case's latest channel cannot carry the answer (a
    review site) or the agent prefers another."""
    case = cases.get_case(session, case_id)
    target_id: int | None = None
    channel = case.channel
    if via and via != case.channel:
        target = replies.latest_inbound(session, case, via)
        if target is None:
            raise InvalidInputError(
                f"the customer has not written on {via} in this case", field="via"
            )
        target_id, channel = target.id, via
    if seen_version is not None and not force:
        what = collisions(session, case=case, seen_version=seen_version, actor_id=actor.id)
        if what:
            raise Collision(what, case.version)
    canned = get_canned(session, canned_id) if canned_id is not None else None
    if canned is not None and not text:
        text = render_for_case(session, case=case, body=canned.body, actor=actor)
    elif text and "{{" in text:
        text = render_for_case(session, case=case, body=text, actor=actor)
    if not text or not text.strip():
        raise ReplyRefused("text", "write a reply or pick a canned response")
    out = replies.queue_reply(
        session,
        case_id=case.id,
        author=replies.Author(actor.id, actor.role),
        text=text,
        caps=_caps(caps_of, channel),
        now=now,
        visibility=visibility,
        target_interaction_id=target_id,
    )
    if canned is not None:
        if canned.tags:
            cases.set_tags(
                session,
                case_id=case.id,
                add=list(canned.tags),
                remove=[],
                actor_id=actor.id,
                now=now,
            )
        if canned.resolve:
            resolve(
                session,
                case_id=case.id,
                actor=actor,
                caps_of=caps_of,
                now=now,
                secret=secret,
                public_url=public_url,
                csat_days=csat_days,
            )
    return out


def resolve(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    caps_of: CapsOf,
    now: datetime,
    secret: str,
    public_url: str,
    csat_days: int = 7,
) -> Case:
    """Resolve, then send a CSAT link through the customer's channel when it can carry one."""
    case = cases.change_status(
        session, case_id=case_id, action="resolve", actor_id=actor.id, now=now
    )
    if case.kind != "customer" or replies.latest_inbound(session, case) is None:
        return case
    token = csat.create_survey(session, case_id=case.id, secret=secret, now=now, days=csat_days)
    link = f"{public_url.rstrip('/')}/csat/{token}"
    caps = caps_of(case.channel)
    if caps is None:
        cases.record(
            session,
            case,
            "csat_not_sent",
            actor_id=None,
            now=now,
            why=f"no connector for {case.channel}",
        )
        return case
    try:
        replies.queue_reply(
            session,
            case_id=case.id,
            author=replies.Author(None, "admin"),
            text=f"How did we do? Tell us in one click: {link}",
            caps=caps,
            now=now,
            kind="csat",
        )
    except ReplyRefused as exc:
        cases.record(session, case, "csat_not_sent", actor_id=None, now=now, why=exc.reason)
    return case


def bulk(
    session: Session,
    *,
    case_ids: list[int],
    action: str,
    actor: Actor,
    caps_of: CapsOf,
    now: datetime,
    user_id: int | None = None,
    tag: str | None = None,
    canned_id: int | None = None,
    secret: str = "",
    public_url: str = "",
) -> tuple[list[int], dict[int, str]]:
    """Apply one action to many cases; each case succeeds or is refused on its own."""
    done: list[int] = []
    refused: dict[int, str] = {}
    for cid in dict.fromkeys(case_ids):
        try:
            with session.begin_nested():
                if action == "assign":
                    if user_id is None:
                        raise InvalidInputError("assign needs user_id", field="user_id")
                    cases.assign(session, case_id=cid, actor_id=actor.id, now=now, user_id=user_id)
                elif action == "tag":
                    if not tag:
                        raise InvalidInputError("tag needs a tag", field="tag")
                    cases.set_tags(
                        session, case_id=cid, add=[tag], remove=[], actor_id=actor.id, now=now
                    )
                elif action == "resolve":
                    resolve(
                        session,
                        case_id=cid,
                        actor=actor,
                        caps_of=caps_of,
                        now=now,
                        secret=secret,
                        public_url=public_url,
                    )
                elif action == "canned_reply":
                    if canned_id is None:
                        raise InvalidInputError("canned_reply needs canned_id", field="canned_id")
                    reply(
                        session,
                        case_id=cid,
                        actor=actor,
                        caps_of=caps_of,
                        now=now,
                        canned_id=canned_id,
                    )
            done.append(cid)
        except (InvalidInputError, NotFoundError, ReplyRefused) as exc:
            refused[cid] = str(exc)
    return done, refused


def open_crisis_case(
    session: Session, *, alert_id: int, actor: Actor, now: datetime, limit: int = 2000
) -> Case:
    """One case linking every conversation behind an alert's spike (its subject, its window)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise InvalidInputError(f"alert {alert_id} does not exist", field="alert_id")
    existing = session.scalar(select(Case).where(Case.alert_id == alert_id, Case.kind == "crisis"))
    if existing is not None:
        return existing
    subject = session.get(Subject, alert.subject_id)
    end = alert.resolved_at or now
    start = alert.started_at - timedelta(minutes=30)
    found = session.scalars(
        select(Interaction.conversation_id)
        .join(InteractionSubject, InteractionSubject.interaction_id == Interaction.id)
        .where(InteractionSubject.subject_id == alert.subject_id)
        .where(Interaction.created_at >= start, Interaction.created_at <= end)
        .where(Interaction.direction == "in", Interaction.conversation_id.is_not(None))
        .order_by(Interaction.created_at)
        .limit(limit * 5)
    ).all()
    conv_ids = list(dict.fromkeys(c for c in found if c is not None))[:limit]
    case = Case(
        subject=f"Crisis: {subject.name if subject else 'subject'} — {alert.metric} spike",
        status="open",
        kind="crisis",
        alert_id=alert_id,
        channel="mixed",
        opened_at=now,
        last_activity_at=now,
        priority_score=90.0,
        priority_label="urgent",
        priority_reasons=[["crisis from an alert", 90.0]],
        tags=["crisis"],
        intents=[],
        version=1,
        customer_value=0.5,
        assignee_id=actor.id,
    )
    session.add(case)
    session.flush()
    session.add_all([CaseConversation(case_id=case.id, conversation_id=c) for c in conv_ids])
    session.add(CaseTag(case_id=case.id, tag="crisis"))
    cases.record(
        session,
        case,
        "created",
        actor_id=actor.id,
        now=now,
        alert_id=alert_id,
        conversations=len(conv_ids),
    )
    return case


def crisis_bulk_reply(
    session: Session, *, case_id: int, canned_id: int, actor: Actor, caps_of: CapsOf, now: datetime
) -> tuple[int, dict[str, int]]:
    """The canned reply to the latest post of every linked conversation, each through its
    own channel, every one waiting for approval. Returns (queued, refused by channel)."""
    case = cases.get_case(session, case_id)
    canned = get_canned(session, canned_id)
    conv_ids = list(
        session.scalars(
            select(CaseConversation.conversation_id).where(CaseConversation.case_id == case.id)
        )
    )
    queued = 0
    refused: dict[str, int] = {}
    from groundswell.channels.models import Channel

    for conv in conv_ids:
        row = session.execute(
            select(Interaction, Channel.key)
            .join(Channel, Channel.id == Interaction.channel_id)
            .where(Interaction.conversation_id == conv, Interaction.direction == "in")
            .order_by(Interaction.created_at.desc())
            .limit(1)
        ).first()
        if row is None:
            continue
        target, key = row
        caps = caps_of(key)
        if caps is None:
            refused[key] = refused.get(key, 0) + 1
            continue
        identity = session.get(Identity, target.identity_id) if target.identity_id else None
        try:
            text = render_canned(
                canned.body,
                variables_for(
                    contact_name=identity.display_name if identity else None,
                    handle=identity.handle if identity else None,
                    agent_name=actor.name,
                    case_id=case.id,
                ),
            )
            with session.begin_nested():
                replies.queue_reply(
                    session,
                    case_id=case.id,
                    author=replies.Author(actor.id, actor.role),
                    text=text,
                    caps=caps,
                    now=now,
                    target_interaction_id=target.id,
                    require_approval="crisis bulk reply",
                )
            queued += 1
        except (ReplyRefused, CannedError):
            refused[key] = refused.get(key, 0) + 1
    return queued, refused
