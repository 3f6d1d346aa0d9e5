"""Conflicts an admin resolves: keep Groundswell's value or take the CRM's.

Either way the link's base becomes the CRM's current value, so the next sync sees
"only Groundswell changed" (keep local: the value is pushed) or "nothing changed"
(take remote: the value was written here).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.core.upsert import dialect_insert
from groundswell.crmsync import records
from groundswell.crmsync.models import CrmConflict, CrmConnection, CrmLink, CrmOutbox
from groundswell.crmsync.schemas import ConflictOut


class ConflictNotFound(NotFoundError, LookupError):
    def __init__(self, key: object) -> None:
        super().__init__("conflict", key)


def _out(row: CrmConflict, connection: str) -> ConflictOut:
    return ConflictOut(
        id=row.id,
        connection_id=row.connection_id,
        connection=connection,
        contact_id=row.contact_id,
        field=row.field,
        base_value=row.base_value,
        local_value=row.local_value,
        remote_value=row.remote_value,
        local_changed_at=row.local_changed_at,
        remote_changed_at=row.remote_changed_at,
        detected_at=row.detected_at,
        status=row.status,
        resolution=row.resolution,
        resolved_at=row.resolved_at,
    )


def list_conflicts(
    session: Session, *, status: str | None = "open", offset: int = 0, limit: int = 100
) -> list[ConflictOut]:
    stmt = (
        select(CrmConflict, CrmConnection.name)
        .join(CrmConnection, CrmConnection.id == CrmConflict.connection_id)
        .order_by(CrmConflict.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(CrmConflict.status == status)
    return [_out(row, name) for row, name in session.execute(stmt).all()]


def resolve(
    session: Session,
    *,
    conflict_id: int,
    choice: Literal["keep_local", "take_remote"],
    user_id: int | None,
) -> ConflictOut:
    row = session.get(CrmConflict, conflict_id)
    if row is None:
        raise ConflictNotFound(conflict_id)
    if row.status != "open":
        raise InvalidInputError("conflict: already resolved", field="conflict_id")
    link = session.get(CrmLink, row.link_id)
    if link is None:
        raise ConflictNotFound(conflict_id)
    base = dict(link.base or {})
    base[row.field] = row.remote_value
    link.base = base
    if choice == "take_remote":
        records.apply_contact_fields(session, row.contact_id, {row.field: row.remote_value})
    else:
        link.pushed_hash = None
        stmt = dialect_insert(session, CrmOutbox.__table__).values(
            connection_id=link.connection_id,
            local_kind="contact",
            local_id=link.local_id,
            enqueued_at=utcnow(),
            attempts=0,
        )
        session.execute(
            stmt.on_conflict_do_nothing(index_elements=["connection_id", "local_kind", "local_id"])
        )
    row.status = "resolved"
    row.resolution = choice
    row.resolved_by = user_id
    row.resolved_at = utcnow()
    session.flush()
    name = session.scalar(select(CrmConnection.name).where(CrmConnection.id == row.connection_id))
    return _out(row, name or "")
