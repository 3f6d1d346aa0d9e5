"""Rows of the lists people download (cases, contacts, alerts, posts), read by keyset pages.

Column selects only, so a stream of a million rows never builds a million objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.core.csv_export import keyset
from groundswell.crm.models import Contact, Interaction
from groundswell.crm.segment_models import Lead
from groundswell.crm.visibility import PRIVATE_CHANNELS
from groundswell.engagement.models import Case
from groundswell.listening.alerts.models import Alert

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


def utc_text(column: Any, dialect: str) -> ColumnElement[str]:
    """A UTC timestamp as ISO 8601 text, formatted by the database.

    Building a timezone-aware datetime per cell and formatting it again in Python is most of
    an export's cost; the database writes the same text for a fraction of it.
    """
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    # SQLite keeps naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff"
    return func.replace(type_coerce(column, String), " ", "T").concat("+00:00")


def case_rows(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    queue_id: int | None = None,
    page: int = 5000,
) -> Iterator[Sequence[Any]]:
    dialect = session.get_bind().dialect.name

    def query(after: int | None) -> Select[*tuple[Any, ...]]:
        stmt: Select[*tuple[Any, ...]] = select(
            Case.id,
            Case.subject,
            Case.status,
            Case.channel,
            Case.priority_label,
            Case.queue_id,
            Case.assignee_id,
            utc_text(Case.opened_at, dialect),
            utc_text(Case.first_responded_at, dialect),
            utc_text(Case.resolved_at, dialect),
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

    yield from keyset(session, query, lambda row: int(row[0]), page=page)


def contact_rows(session: Session, *, page: int = 5000) -> Iterator[Sequence[Any]]:
    """Live contacts (not those merged into another)."""

    dialect = session.get_bind().dialect.name

    def query(after: int | None) -> Select[*tuple[Any, ...]]:
        stmt: Select[*tuple[Any, ...]] = (
            select(
                Contact.id,
                Contact.display_name,
                Contact.email,
                Contact.phone,
                Contact.account_id,
                utc_text(Contact.created_at, dialect),
            )
            .where(Contact.merged_into_id.is_(None))
            .order_by(Contact.id)
        )
        if after is not None:
            stmt = stmt.where(Contact.id > after)
        return stmt

    yield from keyset(session, query, lambda row: int(row[0]), page=page)


ALERT_HEADER = (
    "id",
    "subject_id",
    "metric",
    "status",
    "severity",
    "started_at",
    "resolved_at",
    "expected",
    "observed",
    "summary",
)
POST_HEADER = (
    "id",
    "created_at",
    "channel",
    "direction",
    "contact_id",
    "language",
    "sentiment",
    "sentiment_score",
    "intent",
    "private",
    "url",
    "text",
)


def alert_rows(session: Session, *, page: int = 5000) -> Iterator[Sequence[Any]]:
    dialect = session.get_bind().dialect.name

    def query(after: int | None) -> Select[*tuple[Any, ...]]:
        stmt: Select[*tuple[Any, ...]] = select(
            Alert.id,
            Alert.subject_id,
            Alert.metric,
            Alert.status,
            Alert.severity,
            utc_text(Alert.started_at, dialect),
            utc_text(Alert.resolved_at, dialect),
            Alert.expected,
            Alert.observed,
            Alert.summary,
        ).order_by(Alert.id)
        return stmt if after is None else stmt.where(Alert.id > after)

    yield from keyset(session, query, lambda row: int(row[0]), page=page)


def _private(keys: list[str]) -> ColumnElement[bool]:
    """The message's own flag, or (rows stored before it existed) a private channel key."""
    return or_(Interaction.private.is_(True), Channel.key.in_(keys))


def post_rows(
    session: Session,
    *,
    with_private_text: bool,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 5000,
) -> Iterator[Sequence[Any]]:
    """Stored posts in id order; a private message's text is left out unless the reader's
    role may see private data (the rule of ``crm.visibility``)."""
    dialect = session.get_bind().dialect.name
    private = sorted(PRIVATE_CHANNELS)

    def query(after: int | None) -> Select[*tuple[Any, ...]]:
        text: Any = Interaction.text
        url: Any = Interaction.url
        if not with_private_text:
            text = case((_private(private), literal("")), else_=Interaction.text)
            url = case((_private(private), null()), else_=Interaction.url)
        stmt: Select[*tuple[Any, ...]] = (
            select(
                Interaction.id,
                utc_text(Interaction.created_at, dialect),
                Channel.key,
                Interaction.direction,
                Interaction.contact_id,
                Interaction.language,
                Interaction.sentiment_label,
                Interaction.sentiment_score,
                Interaction.intent,
                case((_private(private), literal("true")), else_=literal("false")),
                url,
                text,
            )
            .join(Channel, Channel.id == Interaction.channel_id)
            .order_by(Interaction.id)
        )
        if after is not None:
            stmt = stmt.where(Interaction.id > after)
        if channel is not None:
            stmt = stmt.where(Channel.key == channel)
        if since is not None:
            stmt = stmt.where(Interaction.created_at >= since)
        if until is not None:
            stmt = stmt.where(Interaction.created_at < until)
        return stmt

    yield from keyset(session, query, lambda row: int(row[0]), page=page)


LEAD_HEADER = (
    "id",
    "status",
    "contact_id",
    "contact",
    "account_id",
    "owner_id",
    "intent_posts",
    "created_at",
    "closed_at",
    "channel",
    "text",
)


def lead_rows(
    session: Session, *, with_private_text: bool, status: str | None = None, page: int = 5000
) -> Iterator[Sequence[Any]]:
    """Leads with their contact and the post that made them (private text by role)."""
    dialect = session.get_bind().dialect.name
    private = sorted(PRIVATE_CHANNELS)

    def query(after: int | None) -> Select[*tuple[Any, ...]]:
        text: Any = Interaction.text
        if not with_private_text:
            text = case((_private(private), literal("")), else_=Interaction.text)
        stmt: Select[*tuple[Any, ...]] = (
            select(
                Lead.id,
                Lead.status,
                Lead.contact_id,
                Contact.display_name,
                Lead.account_id,
                Lead.owner_id,
                Lead.intent_posts,
                utc_text(Lead.created_at, dialect),
                utc_text(Lead.closed_at, dialect),
                Channel.key,
                text,
            )
            .join(Contact, Contact.id == Lead.contact_id)
            .join(Interaction, Interaction.id == Lead.interaction_id)
            .join(Channel, Channel.id == Interaction.channel_id)
            .order_by(Lead.id)
        )
        if after is not None:
            stmt = stmt.where(Lead.id > after)
        if status is not None:
            stmt = stmt.where(Lead.status == status)
        return stmt

    yield from keyset(session, query, lambda row: int(row[0]), page=page)
