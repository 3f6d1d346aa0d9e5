"""Merging two contacts into one, and undoing it exactly; every step in the merge log.

A merge moves every row that points at the merged contact — identities, keys,
interactions, conversations, purchases, and whatever other domains link to contacts
(cases, notes…), found through the foreign keys in the schema — to the kept contact,
and writes the ids it moved into the merge event. The merged contact row stays, marked
``merged_into_id``, so unmerge can give those same rows back to the same id, one event
at a time, in any order.

Both contacts' ``version`` moves in one conditional UPDATE each before anything else
changes: of two concurrent merges touching a contact, the second finds the version gone
and fails with ``MergeConflictError`` before it has changed a row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from groundswell.all_models import load_all_models
from groundswell.auth.audit import actor_from_label
from groundswell.auth.audit import record as audit_record
from groundswell.core.clock import utcnow
from groundswell.core.errors import GroundswellError, InvalidInputError, NotFoundError
from groundswell.crm.clv.models import CustomerValue
from groundswell.crm.matching.models import MatchCandidate, MatchKey, MergeEvent
from groundswell.crm.matching.schemas import MergeEventRead
from groundswell.crm.models import Contact
from groundswell.notify import events

_NOT_MOVED = {"contacts", "match_candidates", "match_keys", "customer_values"}
"""Contact references that are not "the contact's data": the pair itself, derived keys
(recomputed), derived value (kept aside and restored)."""
_FILLED = ("display_name", "email", "phone", "account_id")


class MergeConflictError(GroundswellError):
    """The contact changed (merged, unmerged) since it was read: nothing was done."""


def _references() -> list[tuple[Table, str]]:
    """Every (table, column) holding a contact id, from the schema's foreign keys."""
    out: list[tuple[Table, str]] = []
    for table in load_all_models().metadata.sorted_tables:
        if table.name in _NOT_MOVED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "contacts" and fk.column.name == "id":
                out.append((table, fk.parent.name))
    return out


def _bump(session: Session, contact: Contact, **values: Any) -> None:
    result = session.execute(
        update(Contact)
        .where(Contact.id == contact.id, Contact.version == contact.version)
        .values(version=contact.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise MergeConflictError(
            f"contact {contact.id} was changed by another merge or unmerge; reload and retry"
        )


def _pk_values(session: Session, table: Table, column: str, contact_id: int) -> list[list[Any]]:
    pk = list(table.primary_key.columns)
    rows = session.execute(select(*pk).where(table.c[column] == contact_id))
    return [list(r) for r in rows]


def _pk_match(table: Table, keys: list[list[Any]]) -> Any:
    pk = list(table.primary_key.columns)
    if len(pk) == 1:
        return pk[0].in_([k[0] for k in keys])
    return tuple_(*pk).in_([tuple(k) for k in keys])


def merge_contacts(
    session: Session,
    *,
    kept_id: int,
    merged_id: int,
    actor: str,
    reason: str,
    candidate_id: int | None = None,
) -> MergeEventRead:
    """Move everything of ``merged_id`` to ``kept_id``; returns the logged event."""
    if kept_id == merged_id:
        raise InvalidInputError("a contact cannot be merged into itself", field="merged_id")
    kept = session.get(Contact, kept_id, populate_existing=True)
    merged = session.get(Contact, merged_id, populate_existing=True)
    if kept is None:
        raise NotFoundError("contact", kept_id)
    if merged is None:
        raise NotFoundError("contact", merged_id)
    for c in (kept, merged):
        if c.merged_into_id is not None:
            raise MergeConflictError(
                f"contact {c.id} is already merged into contact {c.merged_into_id}"
            )
    filled = {
        name: getattr(merged, name)
        for name in _FILLED
        if getattr(kept, name) is None and getattr(merged, name) is not None
    }
    _bump(session, merged, merged_into_id=kept_id)
    _bump(session, kept, **filled, updated_at=utcnow())
    moved: dict[str, dict[str, list[list[Any]]]] = {}
    for table, column in _references():
        keys = _pk_values(session, table, column, merged_id)
        if not keys:
            continue
        moved.setdefault(table.name, {})[column] = keys
        for start in range(0, len(keys), 500):
            session.execute(
                update(table)
                .where(_pk_match(table, keys[start : start + 500]))
                .values({column: kept_id})
            )
    value = session.get(CustomerValue, merged_id)
    saved_value = None
    if value is not None:
        saved_value = {
            c.name: _jsonable(getattr(value, c.key)) for c in CustomerValue.__table__.columns
        }
        session.execute(delete(CustomerValue).where(CustomerValue.contact_id == merged_id))
    session.execute(delete(MatchKey).where(MatchKey.contact_id.in_([kept_id, merged_id])))
    if candidate_id is not None:
        session.execute(
            update(MatchCandidate)
            .where(MatchCandidate.id == candidate_id)
            .values(status="merged", decided_at=utcnow(), decided_by=actor[:200])
        )
    event = MergeEvent(
        kept_contact_id=kept_id,
        merged_contact_id=merged_id,
        candidate_id=candidate_id,
        actor=actor[:200],
        reason=reason[:500],
        snapshot={
            "moved": moved,
            "filled": {k: _jsonable(v) for k, v in filled.items()},
            "customer_value": saved_value,
        },
    )
    session.add(event)
    session.flush()
    if events.wanted(session, "contact.merged"):
        events.emit(
            session,
            "contact.merged",
            {
                "merge_id": event.id,
                "kept_contact_id": kept_id,
                "merged_contact_id": merged_id,
                "candidate_id": candidate_id,
                "actor": event.actor,
                "reason": event.reason,
            },
        )
    audit_record(
        session,
        actor=actor_from_label(actor),
        action="contact.merge",
        target_type="contact",
        target_id=kept_id,
        details={"merge_id": event.id, "merged_contact_id": merged_id, "reason": reason[:200]},
    )
    session.expire_all()
    return _read(event)


def unmerge(session: Session, *, event_id: int, actor: str) -> MergeEventRead:
    """Give the merged contact back every row the event moved, and its own fields."""
    event = session.get(MergeEvent, event_id, populate_existing=True)
    if event is None:
        raise NotFoundError("merge event", event_id)
    if event.undone_at is not None:
        raise MergeConflictError(f"merge {event_id} was already undone")
    kept = session.get(Contact, event.kept_contact_id, populate_existing=True)
    merged = session.get(Contact, event.merged_contact_id, populate_existing=True)
    if kept is None or merged is None:
        raise MergeConflictError(f"a contact of merge {event_id} no longer exists")
    if merged.merged_into_id != kept.id:
        raise MergeConflictError(f"contact {merged.id} is not merged into contact {kept.id}")
    snapshot = event.snapshot
    restore = {
        name: None
        for name, value in snapshot.get("filled", {}).items()
        if _jsonable(getattr(kept, name)) == value
    }
    _bump(session, merged, merged_into_id=None)
    _bump(session, kept, **restore, updated_at=utcnow())
    tables = {t.name: t for t in load_all_models().metadata.sorted_tables}
    for table_name, columns in snapshot.get("moved", {}).items():
        table = tables.get(table_name)
        if table is None:
            continue
        for column, keys in columns.items():
            for start in range(0, len(keys), 500):
                session.execute(
                    update(table)
                    .where(_pk_match(table, keys[start : start + 500]))
                    .values({column: merged.id})
                )
    if (saved := snapshot.get("customer_value")) is not None and session.get(
        CustomerValue, merged.id
    ) is None:
        session.execute(insert(CustomerValue), [_value_row(saved)])
    session.execute(delete(MatchKey).where(MatchKey.contact_id.in_([kept.id, merged.id])))
    if event.candidate_id is not None:
        # Undoing a merge is a person saying "not the same person": remember it.
        session.execute(
            update(MatchCandidate)
            .where(MatchCandidate.id == event.candidate_id)
            .values(status="rejected", decided_at=utcnow(), decided_by=actor[:200])
        )
    event.undone_at = utcnow()
    event.undone_by = actor[:200]
    audit_record(
        session,
        actor=actor_from_label(actor),
        action="contact.unmerge",
        target_type="contact",
        target_id=event.kept_contact_id,
        details={"merge_id": event.id, "merged_contact_id": event.merged_contact_id},
    )
    session.flush()
    session.expire_all()
    return _read(event)


def merge_log(
    session: Session, *, contact_id: int | None = None, limit: int = 100
) -> list[MergeEventRead]:
    """The audit trail, newest first; for one contact, every event it took part in."""
    stmt = select(MergeEvent).order_by(MergeEvent.id.desc()).limit(limit)
    if contact_id is not None:
        stmt = stmt.where(
            or_(
                MergeEvent.kept_contact_id == contact_id,
                MergeEvent.merged_contact_id == contact_id,
            )
        )
    return [_read(e) for e in session.scalars(stmt)]


def _read(event: MergeEvent) -> MergeEventRead:
    moved = {
        table: sum(len(keys) for keys in columns.values())
        for table, columns in (event.snapshot or {}).get("moved", {}).items()
    }
    return MergeEventRead(
        id=event.id,
        kept_contact_id=event.kept_contact_id,
        merged_contact_id=event.merged_contact_id,
        candidate_id=event.candidate_id,
        actor=event.actor,
        reason=event.reason,
        moved=moved,
        created_at=event.created_at,
        undone_at=event.undone_at,
        undone_by=event.undone_by,
    )


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _value_row(saved: dict[str, Any]) -> dict[str, Any]:
    from datetime import date, datetime

    row = dict(saved)
    for name in ("first_purchase", "last_purchase"):
        row[name] = date.fromisoformat(row[name])
    row["computed_at"] = datetime.fromisoformat(row["computed_at"])
    return row


__all__ = ["MergeConflictError", "merge_contacts", "merge_log", "unmerge"]
