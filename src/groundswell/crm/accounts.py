"""Accounts (companies, households): their contacts with value, sentiment and last touch."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.contact_list import ContactRow, list_contacts
from groundswell.crm.models import Account, Contact, Interaction


class AccountSummary(BaseModel):
    id: int
    name: str
    domain: str | None
    contacts: int
    last_touch: datetime | None


class AccountDetail(BaseModel):
    id: int
    name: str
    domain: str | None
    contacts: list[ContactRow]
    interactions: int
    sentiment: float | None
    """Mean sentiment of the account's contacts' inbound interactions."""
    value: float
    """Sum of the contacts' lifetime values."""


def list_accounts(session: Session, *, limit: int = 200) -> list[AccountSummary]:
    members = (
        select(Contact.account_id, func.count().label("n"))
        .where(Contact.account_id.is_not(None), Contact.merged_into_id.is_(None))
        .group_by(Contact.account_id)
        .subquery()
    )
    touch = (
        select(Contact.account_id, func.max(Interaction.created_at).label("last"))
        .join(Interaction, Interaction.contact_id == Contact.id)
        .where(Contact.account_id.is_not(None))
        .group_by(Contact.account_id)
        .subquery()
    )
    rows = session.execute(
        select(Account.id, Account.name, Account.domain, members.c.n, touch.c.last)
        .outerjoin(members, members.c.account_id == Account.id)
        .outerjoin(touch, touch.c.account_id == Account.id)
        .order_by(Account.name)
        .limit(limit)
    )
    return [
        AccountSummary(id=i, name=n, domain=d, contacts=c or 0, last_touch=t)
        for i, n, d, c, t in rows
    ]


def create_account(session: Session, *, name: str, domain: str | None = None) -> AccountSummary:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 300:
        raise InvalidInputError("an account name is 1–300 characters", field="name")
    clean = (domain or "").strip().lower() or None
    if clean is not None and ("." not in clean or " " in clean or len(clean) > 255):
        raise InvalidInputError("not a domain name", field="domain")
    if clean is not None and session.scalar(select(Account.id).where(Account.domain == clean)):
        raise InvalidInputError(f"an account with domain {clean} exists", field="domain")
    account = Account(name=name, domain=clean)
    session.add(account)
    session.flush()
    return AccountSummary(id=account.id, name=name, domain=clean, contacts=0, last_touch=None)


def set_contact_account(session: Session, *, contact_id: int, account_id: int | None) -> None:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("contact", contact_id)
    if account_id is not None and session.get(Account, account_id) is None:
        raise NotFoundError("account", account_id)
    contact.account_id = account_id
    session.flush()


def get_account(session: Session, *, account_id: int) -> AccountDetail:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError("account", account_id)
    listing = list_contacts(session, account_id=account_id, page_size=500)
    ids = [c.id for c in listing.items]
    count: int = 0
    sentiment: float | None = None
    if ids:
        row = session.execute(
            select(func.count(), func.avg(Interaction.sentiment_score)).where(
                Interaction.contact_id.in_(ids), Interaction.direction == "in"
            )
        ).one()
        count = int(row[0] or 0)
        sentiment = float(row[1]) if row[1] is not None else None
    return AccountDetail(
        id=account.id,
        name=account.name,
        domain=account.domain,
        contacts=listing.items,
        interactions=count,
        sentiment=sentiment,
        value=sum(c.clv or 0.0 for c in listing.items),
    )
