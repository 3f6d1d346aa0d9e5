"""Rows of the lists people download (cases, contacts), read by keyset pages.

Column selects only, so a stream of a million rows never builds a million objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from groundswell.core.csv_export import keyset
from groundswell.crm.models import Contact
from groundswell.engagement.models import Case

CASE_HEADER = (
    "id",
    "subject",
    "status",
    "channel",
    "priority",
    "queue_id",
    "assignee_id",
    "opened_at",
    "first_responded_at",
    "resolved_at",
    "sentiment",
)
CONTACT_HEADER = ("id", "display_name", "email", "phone", "account_id", "created_at")
ACTIVE = ("new", "open", "pending")


def case_rows(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    queue_id: int | None = None,
    page: int = 5000,
) -> Iterator[Sequence[Any]]:
    def query(after: int | None) -> Select[*tuple[Any, ...]]:
        stmt: Select[*tuple[Any, ...]] = select(
            Case.id,
            Case.subject,
            Case.status,
            Case.channel,
            Case.priority_label,
            Case.queue_id,
            Case.assignee_id,
            Case.opened_at,
            Case.first_responded_at,
            Case.resolved_at,
            Case.sentiment_score,
        ).order_by(Case.id)
        if after is not None:
            stmt = stmt.where(Case.id > after)
        if status == "active":
            stmt = stmt.where(Case.status.in_(ACTIVE))
        elif status is not None:
            stmt = stmt.where(Case.status == status)
        if channel is not None:
            stmt = stmt.where(Case.channel == channel)
        if queue_id is not None:
            stmt = stmt.where(Case.queue_id == queue_id)
        return stmt

    yield from keyset(session, query, lambda row: int(row.id), page=page)


def contact_rows(session: Session, *, page: int = 5000) -> Iterator[Sequence[Any]]:
    """Live contacts (not those merged into another)."""

    def query(after: int | None) -> Select[*tuple[Any, ...]]:
        stmt: Select[*tuple[Any, ...]] = (
            select(
                Contact.id,
                Contact.display_name,
                Contact.email,
                Contact.phone,
                Contact.account_id,
                Contact.created_at,
            )
            .where(Contact.merged_into_id.is_(None))
            .order_by(Contact.id)
        )
        if after is not None:
            stmt = stmt.where(Contact.id > after)
        return stmt

    yield from keyset(session, query, lambda row: int(row.id), page=page)
