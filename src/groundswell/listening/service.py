"""Tracked subjects: create, change, delete, list.

A subject's query is parsed before it is stored, so the pipeline never meets a query it
cannot run, and whoever typed it learns exactly where it went wrong.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.enrichment.query import QuerySyntaxError, parse_query
from groundswell.listening.alerts.models import Alert
from groundswell.listening.models import Subject
from groundswell.listening.schemas import SubjectCreate, SubjectRead, SubjectUpdate


class SubjectQueryError(InvalidInputError):
    """The subject's query does not parse; ``position`` is the 0-based offset of the fault."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(f"invalid query at position {position}: {message}", field="query")
        self.reason = message
        self.position = position


def validate_query(query: str) -> None:
    try:
        parse_query(query)
    except QuerySyntaxError as exc:
        raise SubjectQueryError(exc.message, position=exc.position) from exc


def _check_name_free(session: Session, name: str, *, except_id: int | None = None) -> None:
    """Names are unique ignoring case, Unicode case included (``Émile`` = ``émile``).

    SQLite's ``lower()`` folds ASCII only, so the comparison is made here with
    ``casefold`` over the few subject names rather than in SQL.
    """
    wanted = name.casefold()
    for subject_id, existing in session.execute(select(Subject.id, Subject.name)):
        if subject_id != except_id and existing.casefold() == wanted:
            raise InvalidInputError(f"a subject named {name!r} exists", field="name")


def list_subjects(session: Session) -> list[SubjectRead]:
    rows = session.scalars(select(Subject).order_by(func.lower(Subject.name), Subject.id))
    return [SubjectRead.model_validate(s) for s in rows]


def get_subject(session: Session, *, subject_id: int) -> SubjectRead:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFoundError("subject", subject_id)
    return SubjectRead.model_validate(subject)


def create_subject(session: Session, *, data: SubjectCreate) -> SubjectRead:
    validate_query(data.query)
    _check_name_free(session, data.name)
    now = utcnow()
    subject = Subject(
        name=data.name,
        kind=data.kind,
        query=data.query,
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    session.add(subject)
    session.flush()
    return SubjectRead.model_validate(subject)


def update_subject(session: Session, *, subject_id: int, data: SubjectUpdate) -> SubjectRead:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFoundError("subject", subject_id)
    if data.query is not None:
        validate_query(data.query)
        subject.query = data.query
    if data.name is not None:
        _check_name_free(session, data.name, except_id=subject_id)
        subject.name = data.name
    if data.kind is not None:
        subject.kind = data.kind
    if data.active is not None:
        subject.active = data.active
    subject.updated_at = utcnow()
    session.flush()
    return SubjectRead.model_validate(subject)


def delete_subject(session: Session, *, subject_id: int) -> None:
    """Delete a subject; its post links go with it (ON DELETE CASCADE), and its alerts
    (whose ``subject_id`` also holds overall volume's 0, so it has no foreign key); its
    rollups stay."""
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFoundError("subject", subject_id)
    session.execute(delete(Alert).where(Alert.subject_id == subject_id))
    session.delete(subject)
    session.flush()
