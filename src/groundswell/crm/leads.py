"""Leads: purchase-intent posts handed to sales with the author's contact and account.

:func:`promote_leads` runs in the customer-record loop after identity matching, over
interactions newer than the last id it looked at. It is idempotent: a post becomes a
lead only if its contact has no open lead and no lead closed after the post was written
(such a post belonged to that earlier episode); a post that already is a lead is skipped
by the unique ``interaction_id``. So a restart that rescans from 0 creates nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from groundswell.auth.models import User
from groundswell.channels.models import Channel
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.models import Account, Contact, Interaction
from groundswell.crm.segment_models import Lead
from groundswell.crm.visibility import WITHHELD, is_private, may_see_private

LEAD_INTENT = "purchase_intent"
"""The enrichment's intent label (``enrichment/model/labels.py``) that makes a lead."""
LeadStatus = Literal["new", "contacted", "qualified", "lost"]
STATUSES: tuple[str, ...] = ("new", "contacted", "qualified", "lost")
OPEN = ("new", "contacted")


class LeadRead(BaseModel):
    id: int
    status: str
    interaction_id: int
    text: str
    private: bool = False
    """The post is a private message (its text is withheld from roles that may not read it)."""
    channel_key: str
    posted_at: datetime
    url: str | None
    contact_id: int
    contact_name: str | None
    account_id: int | None
    account_name: str | None
    owner_id: int | None
    owner_email: str | None
    intent_posts: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class PromoteReport(BaseModel):
    scanned: int
    created: int
    joined: int
    """Intent posts counted into an open lead's episode."""
    last_id: int


def promote_leads(session: Session, *, after_id: int = 0, batch: int = 1000) -> PromoteReport:
    """Turn inbound purchase-intent posts with ``id > after_id`` into leads (one batch)."""
    rows = list(
        session.execute(
            select(Interaction.id, Interaction.contact_id, Interaction.created_at)
            .where(
                Interaction.id > after_id,
                Interaction.direction == "in",
                Interaction.intent == LEAD_INTENT,
                Interaction.contact_id.is_not(None),
            )
            .order_by(Interaction.id)
            .limit(batch)
        )
    )
    created = joined = 0
    for ident, contact_id, at in rows:
        if session.scalar(select(Lead.id).where(Lead.interaction_id == ident)) is not None:
            continue
        episode = session.scalars(
            select(Lead)
            .where(
                Lead.contact_id == contact_id,
                or_(Lead.closed_at.is_(None), Lead.closed_at >= at),
            )
            .order_by(Lead.id.desc())
            .limit(1)
        ).first()
        if episode is not None:
            if episode.closed_at is None:
                start = session.scalar(
                    select(Interaction.created_at).where(Interaction.id == episode.interaction_id)
                )
                seen = session.scalar(
                    select(func.count())
                    .select_from(Interaction)
                    .where(
                        Interaction.contact_id == contact_id,
                        Interaction.direction == "in",
                        Interaction.intent == LEAD_INTENT,
                        Interaction.created_at >= (start or at),
                    )
                )
                if seen and seen != episode.intent_posts:
                    episode.intent_posts = seen
                    episode.updated_at = utcnow()
                    joined += 1
            continue
        contact = session.get(Contact, contact_id)
        if contact is None or contact.merged_into_id is not None:
            continue
        now = utcnow()
        session.add(
            Lead(
                interaction_id=ident,
                contact_id=contact_id,
                account_id=contact.account_id,
                status="new",
                intent_posts=1,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        created += 1
    last = rows[-1][0] if rows else after_id
    return PromoteReport(scanned=len(rows), created=created, joined=joined, last_id=last)


def _get(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFoundError("lead", lead_id)
    return lead


def update_lead(
    session: Session,
    *,
    lead_id: int,
    status: str | None = None,
    owner_id: int | None = None,
    clear_owner: bool = False,
    role: str = "admin",
) -> LeadRead:
    """Change status and/or owner; ``qualified`` and ``lost`` close the episode."""
    lead = _get(session, lead_id)
    if status is not None:
        if status not in STATUSES:
            raise InvalidInputError(f"status must be one of {', '.join(STATUSES)}", field="status")
        lead.status = status
        lead.closed_at = None if status in OPEN else (lead.closed_at or utcnow())
    if clear_owner:
        lead.owner_id = None
    elif owner_id is not None:
        user = session.get(User, owner_id)
        if user is None or not user.active:
            raise InvalidInputError("the owner must be an active user", field="owner_id")
        lead.owner_id = owner_id
    lead.updated_at = utcnow()
    session.flush()
    return get_lead(session, lead_id=lead_id, role=role)


def _reads(session: Session, leads: list[Lead], role: str) -> list[LeadRead]:
    if not leads:
        return []
    posts = {
        i.id: (i, key)
        for i, key in session.execute(
            select(Interaction, Channel.key)
            .join(Channel, Channel.id == Interaction.channel_id)
            .where(Interaction.id.in_([lead.interaction_id for lead in leads]))
        )
    }
    contacts = dict(
        session.execute(
            select(Contact.id, Contact.display_name).where(
                Contact.id.in_([lead.contact_id for lead in leads])
            )
        ).all()
    )
    account_ids = [lead.account_id for lead in leads if lead.account_id is not None]
    accounts = (
        dict(
            session.execute(
                select(Account.id, Account.name).where(Account.id.in_(account_ids))
            ).all()
        )
        if account_ids
        else {}
    )
    owner_ids = [lead.owner_id for lead in leads if lead.owner_id is not None]
    owners = (
        dict(session.execute(select(User.id, User.email).where(User.id.in_(owner_ids))).all())
        if owner_ids
        else {}
    )
    out = []
    for lead in leads:
        post, key = posts[lead.interaction_id]
        private = post.private or is_private(key)
        hidden = private and not may_see_private(role)
        out.append(
            LeadRead(
                id=lead.id,
                status=lead.status,
                interaction_id=lead.interaction_id,
                text=WITHHELD if hidden else post.text,
                private=private,
                channel_key=key,
                posted_at=post.created_at,
                url=None if hidden else post.url,
                contact_id=lead.contact_id,
                contact_name=contacts.get(lead.contact_id),
                account_id=lead.account_id,
                account_name=accounts.get(lead.account_id) if lead.account_id else None,
                owner_id=lead.owner_id,
                owner_email=owners.get(lead.owner_id) if lead.owner_id else None,
                intent_posts=lead.intent_posts,
                created_at=lead.created_at,
                updated_at=lead.updated_at,
                closed_at=lead.closed_at,
            )
        )
    return out


def get_lead(session: Session, *, lead_id: int, role: str) -> LeadRead:
    return _reads(session, [_get(session, lead_id)], role)[0]


def list_leads(
    session: Session,
    *,
    role: str,
    status: str | None = None,
    owner_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[LeadRead]:
    """Newest first, optionally one status or one owner's."""
    query = select(Lead)
    if status:
        query = query.where(Lead.status == status)
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    rows = list(session.scalars(query.order_by(Lead.id.desc()).limit(limit).offset(offset)))
    return _reads(session, rows, role)
