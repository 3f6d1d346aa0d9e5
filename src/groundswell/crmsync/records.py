"""Groundswell's side of a sync: what is in scope, what changed, and each record's values.

Reads the customer record (``crm``) and cases (``engagement``); writes only the contact
fields a pull may change (name, email, phone, company). A record is in scope when it
belongs to a case (the customers the team works with), or, with scope ``all``, every
contact that is not merged away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.core.clock import utcnow
from groundswell.crm.models import Account, Contact, Identity, Interaction
from groundswell.crmsync.models import CrmLink, CrmOutbox
from groundswell.engagement.models import Case, CaseConversation

MAX_ACTIVITIES_PER_CASE = 50
"""The newest interactions of a case that become activities; older ones stay local."""


@dataclass(frozen=True, slots=True)
class LocalContact:
    id: int
    values: dict[str, Any]
    """Shared fields (name, email, phone) and what Groundswell owns (handles, sentiment)."""
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class LocalCase:
    id: int
    contact_id: int
    version: int
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LocalInteraction:
    id: int
    contact_id: int
    case_id: int
    values: dict[str, Any]


def _link(connection_id: int, kind: str) -> Any:
    return and_(
        CrmLink.connection_id == connection_id,
        CrmLink.local_kind == kind,
    )


def _not_queued(connection_id: int, kind: str, local_id: Any) -> Any:
    """Already queued rows are left out, so a record that keeps failing blocks no other."""
    return ~exists().where(
        CrmOutbox.connection_id == connection_id,
        CrmOutbox.local_kind == kind,
        CrmOutbox.local_id == local_id,
    )


def changed_contacts(session: Session, *, connection_id: int, scope: str, limit: int) -> list[int]:
    """Contacts in scope that were never pushed or changed since their last push."""
    in_scope: Any = Contact.merged_into_id.is_(None)
    if scope != "all":
        in_scope = and_(
            in_scope, Contact.id.in_(select(Case.contact_id).where(Case.contact_id.is_not(None)))
        )
    stmt = (
        select(Contact.id)
        .outerjoin(CrmLink, and_(_link(connection_id, "contact"), CrmLink.local_id == Contact.id))
        .where(in_scope)
        .where(or_(CrmLink.id.is_(None), Contact.updated_at > CrmLink.pushed_at))
        .where(_not_queued(connection_id, "contact", Contact.id))
        .order_by(Contact.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def changed_cases(session: Session, *, connection_id: int, limit: int) -> list[int]:
    stmt = (
        select(Case.id)
        .outerjoin(CrmLink, and_(_link(connection_id, "case"), CrmLink.local_id == Case.id))
        .where(Case.contact_id.is_not(None))
        .where(or_(CrmLink.id.is_(None), Case.version != CrmLink.local_version))
        .where(_not_queued(connection_id, "case", Case.id))
        .order_by(Case.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def new_interactions(session: Session, *, connection_id: int, limit: int) -> list[int]:
    """Interactions of cases' conversations that are not activities in the CRM yet."""
    stmt = (
        select(Interaction.id)
        .join(CaseConversation, CaseConversation.conversation_id == Interaction.conversation_id)
        .outerjoin(
            CrmLink,
            and_(_link(connection_id, "interaction"), CrmLink.local_id == Interaction.id),
        )
        .where(CrmLink.id.is_(None))
        .where(_not_queued(connection_id, "interaction", Interaction.id))
        .distinct()
        .order_by(Interaction.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def load_contact(session: Session, contact_id: int) -> LocalContact | None:
    contact = session.get(Contact, contact_id)
    if contact is None:
        return None
    company = None
    if contact.account_id is not None:
        company = session.scalar(select(Account.name).where(Account.id == contact.account_id))
    handles = sorted(
        f"{platform}:{handle}"
        for platform, handle in session.execute(
            select(Identity.platform, Identity.handle).where(Identity.contact_id == contact_id)
        )
        if handle
    )
    sentiment = session.scalar(
        select(func.avg(Interaction.sentiment_score)).where(Interaction.contact_id == contact_id)
    )
    return LocalContact(
        id=contact.id,
        values={
            "name": contact.display_name,
            "email": contact.email,
            "phone": contact.phone,
            "company": company,
            "handles": ", ".join(handles)[:1000],
            "sentiment": round(float(sentiment), 3) if sentiment is not None else None,
        },
        updated_at=contact.updated_at,
    )


def load_case(session: Session, case_id: int) -> LocalCase | None:
    case = session.get(Case, case_id)
    if case is None or case.contact_id is None:
        return None
    return LocalCase(
        id=case.id,
        contact_id=case.contact_id,
        version=case.version,
        values={
            "subject": case.subject,
            "status": case.status,
            "priority": case.priority_label,
            "channel": case.channel,
            "sentiment": case.sentiment_score,
            "opened_at": case.opened_at.isoformat(),
        },
    )


def load_interaction(session: Session, interaction_id: int) -> LocalInteraction | None:
    row = session.execute(
        select(Interaction, Channel.key, CaseConversation.case_id)
        .join(Channel, Channel.id == Interaction.channel_id)
        .join(CaseConversation, CaseConversation.conversation_id == Interaction.conversation_id)
        .where(Interaction.id == interaction_id)
        .order_by(CaseConversation.case_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    interaction, channel, case_id = row
    case_contact = session.scalar(select(Case.contact_id).where(Case.id == case_id))
    contact_id = interaction.contact_id or case_contact
    if contact_id is None:
        return None
    return LocalInteraction(
        id=interaction.id,
        contact_id=contact_id,
        case_id=case_id,
        values={
            "direction": "inbound" if interaction.direction == "in" else "outbound",
            "channel": channel,
            "text": interaction.text,
            "url": interaction.url,
            "sentiment": interaction.sentiment_label,
            "created_at": interaction.created_at.isoformat(),
        },
    )


def apply_contact_fields(session: Session, contact_id: int, values: dict[str, Any]) -> None:
    """Write pulled values into the contact; ``company`` finds or creates the account."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        return
    if "name" in values:
        contact.display_name = values["name"]
    if "email" in values:
        contact.email = values["email"]
    if "phone" in values:
        contact.phone = values["phone"]
    if "company" in values:
        name = values["company"]
        if name is None:
            contact.account_id = None
        else:
            account_id = session.scalar(select(Account.id).where(Account.name == name).limit(1))
            if account_id is None:
                account = Account(name=name)
                session.add(account)
                session.flush()
                account_id = account.id
            contact.account_id = account_id
    contact.updated_at = utcnow()
    session.flush()
