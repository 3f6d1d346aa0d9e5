"""Read-side queries behind the stream, the contact page and the read API.

Every function takes a session, never commits, and returns schemas. Queries fetch a page
of rows and then the few lookups that page needs (channels, identities, subjects) in
one query each, so a page costs a constant number of round trips whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.core.errors import NotFoundError
from groundswell.crm.corrections import corrected_by
from groundswell.crm.models import (
    Account,
    Contact,
    ContactKey,
    Identity,
    Interaction,
    InteractionSubject,
)
from groundswell.crm.schemas import (
    ChannelRef,
    ContactDetail,
    ContactKeyRead,
    ContactSummary,
    IdentityRead,
    InteractionPage,
    InteractionRead,
    StreamFilter,
    SubjectRef,
    Timeline,
)
from groundswell.listening.models import Subject


def _to_reads(session: Session, rows: Sequence[Interaction]) -> list[InteractionRead]:
    """Attach channel, author and subject names to a page of interactions."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    channels = {
        c.id: c
        for c in session.scalars(
            select(Channel).where(Channel.id.in_({r.channel_id for r in rows}))
        )
    }
    identity_ids = {r.identity_id for r in rows if r.identity_id is not None}
    identities = (
        {i.id: i for i in session.scalars(select(Identity).where(Identity.id.in_(identity_ids)))}
        if identity_ids
        else {}
    )
    # Matched subjects come from the link table (which the stream filters on) and from
    # the denormalised JSON column, so a post shows what it matched either way.
    matched: dict[int, set[int]] = {r.id: set(r.subject_ids or ()) for r in rows}
    for interaction_id, subject_id in session.execute(
        select(InteractionSubject.interaction_id, InteractionSubject.subject_id).where(
            InteractionSubject.interaction_id.in_(ids)
        )
    ):
        matched[interaction_id].add(subject_id)
    subject_ids = set().union(*matched.values())
    names: dict[int, str] = {}
    if subject_ids:
        query = select(Subject.id, Subject.name).where(Subject.id.in_(subject_ids))
        names = {subject_id: name for subject_id, name in session.execute(query)}
    correctors = corrected_by(session, ids)
    out = []
    for r in rows:
        channel = channels[r.channel_id]
        author = identities.get(r.identity_id) if r.identity_id is not None else None
        out.append(
            InteractionRead(
                id=r.id,
                channel_key=channel.key,
                channel_name=channel.name,
                external_id=r.external_id,
                direction=r.direction,
                text=r.text,
                private=r.private,
                created_at=r.created_at,
                url=r.url,
                identity_id=r.identity_id,
                author_handle=author.handle if author else None,
                author_display_name=author.display_name if author else None,
                contact_id=r.contact_id,
                conversation_id=r.conversation_id,
                reply_to_external_id=r.reply_to_external_id,
                language=r.language,
                sentiment_score=r.sentiment_score,
                sentiment_label=r.sentiment_label,
                intent=r.intent,
                intents=sorted(r.intents or {}, key=lambda k: -(r.intents or {})[k]),
                sentiment_confidence=r.sentiment_confidence,
                sentiment_model=r.sentiment_model,
                corrected_by=correctors.get(r.id),
                flags=[str(f) for f in r.flags or []],
                likes=r.likes,
                shares=r.shares,
                replies=r.replies,
                subjects=[
                    SubjectRef(id=s, name=names[s]) for s in sorted(matched[r.id]) if s in names
                ],
            )
        )
    return out


def _stream_conditions(filters: StreamFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.subject_id is not None:
        conditions.append(
            exists().where(
                InteractionSubject.interaction_id == Interaction.id,
                InteractionSubject.subject_id == filters.subject_id,
            )
        )
    if filters.channel:
        conditions.append(
            Interaction.channel_id.in_(select(Channel.id).where(Channel.key == filters.channel))
        )
    if filters.sentiment is not None:
        conditions.append(Interaction.sentiment_label == filters.sentiment)
        conditions.append(Interaction.direction == "in")  # customers' sentiment only
    if filters.after_id is not None:
        conditions.append(Interaction.id > filters.after_id)
    if filters.before_id is not None:
        conditions.append(Interaction.id < filters.before_id)
    return conditions


def list_interactions(session: Session, *, filters: StreamFilter) -> InteractionPage:
    """The stream, newest first by arrival.

    Ordering by id (arrival) rather than by the post's own timestamp is what makes
    ``after_id`` polling exact: a replayed old post still shows up as new, and no post
    can slip in behind a cursor already handed out.
    """
    stmt = (
        select(Interaction)
        .where(*_stream_conditions(filters))
        .order_by(Interaction.id.desc())
        .limit(filters.limit + 1)
    )
    rows = list(session.scalars(stmt))
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    cursor = str(rows[-1].id) if more and rows else None
    return InteractionPage(items=_to_reads(session, rows), next_cursor=cursor)


def get_interaction(session: Session, *, interaction_id: int) -> InteractionRead:
    """One post as the stream shows it, e.g. to redraw it after it changed."""
    row = session.get(Interaction, interaction_id)
    if row is None:
        raise NotFoundError("interaction", interaction_id)
    return _to_reads(session, [row])[0]


def get_contact(session: Session, *, contact_id: int) -> ContactDetail:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("contact", contact_id)
    account = session.get(Account, contact.account_id) if contact.account_id else None
    identities = session.scalars(
        select(Identity).where(Identity.contact_id == contact_id).order_by(Identity.first_seen)
    )
    keys = session.scalars(
        select(ContactKey).where(ContactKey.contact_id == contact_id).order_by(ContactKey.id)
    )
    count = session.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.contact_id == contact_id)
    )
    return ContactDetail(
        id=contact.id,
        display_name=contact.display_name,
        email=contact.email,
        phone=contact.phone,
        account_id=contact.account_id,
        account_name=account.name if account else None,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        identities=[IdentityRead.model_validate(i) for i in identities],
        keys=[ContactKeyRead.model_validate(k) for k in keys],
        interaction_count=count or 0,
    )


def _timeline_condition(contact_id: int) -> ColumnElement[bool]:
    """The contact's own interactions, plus our outbound replies in their threads.

    Outbound posts are written by a brand identity, so they carry no contact of their
    own; without the thread rule the timeline would show questions but never answers.
    Other people's replies in a public thread are deliberately left out.
    """
    their_threads = (
        select(Interaction.conversation_id)
        .where(Interaction.contact_id == contact_id, Interaction.conversation_id.is_not(None))
        .scalar_subquery()
    )
    return or_(
        Interaction.contact_id == contact_id,
        (Interaction.direction == "out") & Interaction.conversation_id.in_(their_threads),
    )


def contact_timeline(session: Session, *, contact_id: int, limit: int = 1000) -> Timeline:
    """Every interaction of a contact across channels, newest first.

    When there are more than ``limit``, the most recent ``limit`` are returned, since
    the latest moments matter most to whoever is about to answer. A merged contact's
    interactions were moved onto the contact it was merged into, so they show there.
    """
    if session.get(Contact, contact_id) is None:
        raise NotFoundError("contact", contact_id)
    stmt = (
        select(Interaction)
        .where(_timeline_condition(contact_id))
        .order_by(Interaction.created_at.desc(), Interaction.id.desc())
        .limit(limit + 1)
    )
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return Timeline(contact_id=contact_id, items=_to_reads(session, rows), has_more=more)


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_contacts(
    session: Session, *, q: str | None = None, limit: int = 50
) -> list[ContactSummary]:
    """Contacts whose name, email, phone or any handle contains ``q``; most recent first."""
    stmt = (
        select(Contact)
        .where(Contact.merged_into_id.is_(None))  # merged-away contacts live on in another
        .order_by(Contact.updated_at.desc(), Contact.id.desc())
        .limit(limit)
    )
    q = (q or "").strip()
    if q:
        pattern = _like(q.lstrip("@"))
        handle_match = exists().where(
            Identity.contact_id == Contact.id,
            or_(
                func.lower(Identity.handle).like(pattern, escape="\\"),
                func.lower(Identity.display_name).like(pattern, escape="\\"),
            ),
        )
        stmt = stmt.where(
            or_(
                func.lower(Contact.display_name).like(pattern, escape="\\"),
                func.lower(Contact.email).like(pattern, escape="\\"),
                Contact.phone.like(pattern, escape="\\"),
                handle_match,
            )
        )
    contacts = list(session.scalars(stmt))
    if not contacts:
        return []
    ids = [c.id for c in contacts]
    handles: dict[int, list[str]] = {i: [] for i in ids}
    for contact_id, platform, handle in session.execute(
        select(Identity.contact_id, Identity.platform, Identity.handle)
        .where(Identity.contact_id.in_(ids))
        .order_by(Identity.id)
    ):
        if contact_id is not None:
            handles[contact_id].append(f"{platform}:{handle}" if handle else platform)
    stats = {
        contact_id: (count, last)
        for contact_id, count, last in session.execute(
            select(Interaction.contact_id, func.count(), func.max(Interaction.created_at))
            .where(Interaction.contact_id.in_(ids))
            .group_by(Interaction.contact_id)
        )
    }
    return [
        ContactSummary(
            id=c.id,
            display_name=c.display_name,
            email=c.email,
            handles=handles[c.id],
            interaction_count=stats.get(c.id, (0, None))[0],
            last_activity_at=stats.get(c.id, (0, None))[1],
        )
        for c in contacts
    ]


def list_channels(session: Session) -> list[ChannelRef]:
    """Every known channel, for the stream's channel filter."""
    rows = session.execute(select(Channel.key, Channel.name).order_by(Channel.key))
    return [ChannelRef(key=key, name=name) for key, name in rows]
