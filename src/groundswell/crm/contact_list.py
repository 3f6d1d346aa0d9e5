"""Contacts at scale: the paged, sortable list and a paged, filtered timeline.

The list sorts by name, value (CLV), last touch or mean sentiment; each page costs one
query for the rows (aggregates joined from a grouped sub-query) and one for handles.
Merged-away contacts are hidden (they live on inside the contact they were merged into).
The timeline is newest first and pages with a (time, id) cursor, so a page deep in a
10,000-interaction history costs what the first one does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.core.errors import NotFoundError
from groundswell.crm.clv.models import CustomerValue
from groundswell.crm.models import Contact, Identity, Interaction
from groundswell.crm.note_models import ContactTag
from groundswell.crm.read import _like, _to_reads
from groundswell.crm.schemas import InteractionRead

SortKey = Literal["name", "value", "last_touch", "sentiment"]
SORT_KEYS: tuple[str, ...] = ("name", "value", "last_touch", "sentiment")


class ContactRow(BaseModel):
    id: int
    display_name: str | None
    email: str | None
    handles: list[str]
    interaction_count: int
    first_touch: datetime | None
    last_touch: datetime | None
    sentiment: float | None
    """Mean sentiment score of the contact's inbound interactions."""
    clv: float | None
    p_alive: float | None


class ContactPage(BaseModel):
    items: list[ContactRow]
    total: int
    page: int
    page_size: int
    sort: str
    descending: bool


class TimelinePage(BaseModel):
    contact_id: int
    items: list[InteractionRead]
    next_cursor: str | None
    """``<iso time>|<id>`` of the last item when older ones exist."""


def _stats() -> Any:
    return (
        select(
            Interaction.contact_id.label("contact_id"),
            func.count().label("n"),
            func.min(Interaction.created_at).label("first"),
            func.max(Interaction.created_at).label("last"),
            func.avg(Interaction.sentiment_score).label("sentiment"),
        )
        .where(Interaction.contact_id.is_not(None), Interaction.direction == "in")
        .group_by(Interaction.contact_id)
    )


def list_contacts(
    session: Session,
    *,
    q: str | None = None,
    sort: SortKey = "last_touch",
    descending: bool = True,
    page: int = 1,
    page_size: int = 50,
    tag: str | None = None,
    account_id: int | None = None,
    members: Select[Any] | list[int] | None = None,
) -> ContactPage:
    """``members``: only these contacts (a segment's, ``crm/segments.py``)."""
    conditions: list[ColumnElement[bool]] = [Contact.merged_into_id.is_(None)]
    if members is not None:
        conditions.append(Contact.id.in_(members))
    if account_id is not None:
        conditions.append(Contact.account_id == account_id)
    if tag:
        conditions.append(
            exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == tag.lower())
        )
    query = (q or "").strip()
    if query:
        pattern = _like(query.lstrip("@"))
        conditions.append(
            or_(
                func.lower(Contact.display_name).like(pattern, escape="\\"),
                func.lower(Contact.email).like(pattern, escape="\\"),
                Contact.phone.like(pattern, escape="\\"),
                exists().where(
                    Identity.contact_id == Contact.id,
                    or_(
                        func.lower(Identity.handle).like(pattern, escape="\\"),
                        func.lower(Identity.display_name).like(pattern, escape="\\"),
                    ),
                ),
            )
        )
    inbound = (Interaction.contact_id == Contact.id, Interaction.direction == "in")
    # Sort keys as correlated sub-queries: one index probe per contact, instead of joining
    # an aggregate over every interaction (which PostgreSQL may re-run per contact).
    column: ColumnElement[Any] = {
        "name": func.lower(Contact.display_name),
        "value": select(CustomerValue.clv)
        .where(CustomerValue.contact_id == Contact.id)
        .correlate(Contact)
        .scalar_subquery(),
        "last_touch": select(func.max(Interaction.created_at))
        .where(*inbound)
        .correlate(Contact)
        .scalar_subquery(),
        "sentiment": select(func.avg(Interaction.sentiment_score))
        .where(*inbound)
        .correlate(Contact)
        .scalar_subquery(),
    }[sort]
    ordered = column.desc() if descending else column.asc()
    page_ids = list(
        session.scalars(
            select(Contact.id)
            .where(*conditions)
            .order_by(ordered.nulls_last(), Contact.id.desc() if descending else Contact.id)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    rows = _page_rows(session, page_ids)
    return ContactPage(
        items=rows,
        total=total,
        page=page,
        page_size=page_size,
        sort=sort,
        descending=descending,
    )


def _page_rows(session: Session, ids: list[int]) -> list[ContactRow]:
    """The page's contacts with their figures, in the order of ``ids``."""
    if not ids:
        return []
    contacts = {
        cid: (name, email)
        for cid, name, email in session.execute(
            select(Contact.id, Contact.display_name, Contact.email).where(Contact.id.in_(ids))
        )
    }
    stats: dict[int, tuple[Any, Any, Any, Any]] = {}
    for owner, n, first, last, mean in session.execute(
        _stats().where(Interaction.contact_id.in_(ids))
    ):
        if isinstance(owner, int):
            stats[owner] = (n, first, last, mean)
    values = {
        cid: (clv, alive)
        for cid, clv, alive in session.execute(
            select(CustomerValue.contact_id, CustomerValue.clv, CustomerValue.p_alive).where(
                CustomerValue.contact_id.in_(ids)
            )
        )
    }
    handles: dict[int, list[str]] = {i: [] for i in ids}
    for owner, platform, handle in session.execute(
        select(Identity.contact_id, Identity.platform, Identity.handle)
        .where(Identity.contact_id.in_(ids))
        .order_by(Identity.id)
    ):
        label = f"{platform}:{handle}" if handle else platform
        # Two identities can share a handle (a network's user id and an older import keyed
        # by the handle): the list shows where to reach the person, once per address.
        if owner is not None and label not in handles[owner]:
            handles[owner].append(label)
    out = []
    for cid in ids:
        name, email = contacts[cid]
        n, first, last, sentiment = stats.get(cid, (0, None, None, None))
        clv, alive = values.get(cid, (None, None))
        out.append(
            ContactRow(
                id=cid,
                display_name=name,
                email=email,
                handles=handles[cid],
                interaction_count=n or 0,
                first_touch=first,
                last_touch=last,
                sentiment=float(sentiment) if sentiment is not None else None,
                clv=clv,
                p_alive=alive,
            )
        )
    return out


def first_touch(session: Session, *, contact_id: int) -> datetime | None:
    """When the contact first appeared on any channel (not when the record was made)."""
    return session.scalar(
        select(func.min(Interaction.created_at)).where(Interaction.contact_id == contact_id)
    )


def parse_cursor(value: str) -> tuple[datetime, int]:
    """``<iso time>|<id>``; ValueError when malformed."""
    when, _, ident = value.partition("|")
    parsed = datetime.fromisoformat(when)
    if parsed.tzinfo is None:
        raise ValueError("cursor time lacks a zone")
    return parsed, int(ident)


def timeline_page(
    session: Session,
    *,
    contact_id: int,
    channel: str | None = None,
    direction: Literal["in", "out"] | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> TimelinePage:
    """One page of the contact's timeline, newest first, filtered by channel and direction."""
    if session.get(Contact, contact_id) is None:
        raise NotFoundError("contact", contact_id)
    filters: list[ColumnElement[bool]] = []
    if channel:
        filters.append(Interaction.channel_id.in_(select(Channel.id).where(Channel.key == channel)))
    if direction:
        filters.append(Interaction.direction == direction)
    if before is not None:
        when, ident = before
        filters.append(
            or_(
                Interaction.created_at < when,
                and_(Interaction.created_at == when, Interaction.id < ident),
            )
        )
    newest = (Interaction.created_at.desc(), Interaction.id.desc())
    # Two index-ordered reads merged here, instead of one OR that the planner answers by
    # sorting the whole history: the contact's own posts (contact, time index) and our
    # replies in their threads (conversation index).
    rows = list(
        session.scalars(
            select(Interaction)
            .where(Interaction.contact_id == contact_id, *filters)
            .order_by(*newest)
            .limit(limit + 1)
        )
    )
    if direction != "in":
        threads = list(
            session.scalars(
                select(Interaction.conversation_id)
                .where(
                    Interaction.contact_id == contact_id,
                    Interaction.conversation_id.is_not(None),
                )
                .distinct()
            )
        )
        for start in range(0, len(threads), 500):
            rows.extend(
                session.scalars(
                    select(Interaction)
                    .where(
                        Interaction.conversation_id.in_(threads[start : start + 500]),
                        Interaction.direction == "out",
                        or_(Interaction.contact_id.is_(None), Interaction.contact_id != contact_id),
                        *filters,
                    )
                    .order_by(*newest)
                    .limit(limit + 1)
                )
            )
        rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = f"{rows[-1].created_at.isoformat()}|{rows[-1].id}" if more and rows else None
    return TimelinePage(contact_id=contact_id, items=_to_reads(session, rows), next_cursor=cursor)
