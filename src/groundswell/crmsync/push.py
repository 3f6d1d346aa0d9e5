"""Outbound: queue what changed locally, then push each queued record once.

A queued row is deleted in the same transaction that records the push in ``crm_links``.
A crash after the CRM accepted a record but before that commit leaves the row queued;
the next run pushes it again, and the CRM's upsert by ``groundswell_id`` updates the
record it already has instead of creating a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.upsert import dialect_insert
from groundswell.crmsync import records
from groundswell.crmsync.clients.base import CrmClient
from groundswell.crmsync.fields import SHARED_FIELDS, external_id, norm, payload_hash
from groundswell.crmsync.models import CrmConflict, CrmLink, CrmOutbox

KIND_ORDER = {"contact": 0, "case": 1, "interaction": 2}
"""Contacts before their cases, cases before their activities (each refers to the last)."""
GROUNDSWELL_OWNED = ("handles", "sentiment")


class WaitingFor(Exception):
    """A record whose parent is not in the CRM yet; it stays queued for the next run."""


@dataclass
class PushCounts:
    pushed: int = 0
    unchanged: int = 0
    failed: int = 0


def enqueue_changes(session: Session, *, connection_id: int, scope: str, limit: int) -> int:
    """Queue every record in scope that changed since its last push."""
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for kind, ids in (
        (
            "contact",
            records.changed_contacts(
                session, connection_id=connection_id, scope=scope, limit=limit
            ),
        ),
        ("case", records.changed_cases(session, connection_id=connection_id, limit=limit)),
        (
            "interaction",
            records.new_interactions(session, connection_id=connection_id, limit=limit),
        ),
    ):
        rows += [
            {
                "connection_id": connection_id,
                "local_kind": kind,
                "local_id": i,
                "enqueued_at": now,
                "attempts": 0,
            }
            for i in ids
        ]
    if rows:
        stmt = dialect_insert(session, CrmOutbox.__table__).values(rows)
        session.execute(
            stmt.on_conflict_do_nothing(index_elements=["connection_id", "local_kind", "local_id"])
        )
    return len(rows)


def queued(session: Session, *, connection_id: int, limit: int) -> list[int]:
    rows = session.execute(
        select(CrmOutbox.id, CrmOutbox.local_kind)
        .where(CrmOutbox.connection_id == connection_id)
        .order_by(CrmOutbox.id)
        .limit(limit)
    ).all()
    return [r.id for r in sorted(rows, key=lambda r: (KIND_ORDER.get(r.local_kind, 9), r.id))]


def _link(session: Session, connection_id: int, kind: str, local_id: int) -> CrmLink | None:
    return session.scalar(
        select(CrmLink).where(
            CrmLink.connection_id == connection_id,
            CrmLink.local_kind == kind,
            CrmLink.local_id == local_id,
        )
    )


def _remote_id_of(session: Session, connection_id: int, kind: str, local_id: int) -> str:
    link = _link(session, connection_id, kind, local_id)
    if link is None:
        row = {"connection_id": connection_id, "local_kind": kind, "local_id": local_id}
        stmt = dialect_insert(session, CrmOutbox.__table__).values(
            {**row, "enqueued_at": utcnow(), "attempts": 0}
        )
        session.execute(
            stmt.on_conflict_do_nothing(index_elements=["connection_id", "local_kind", "local_id"])
        )
        raise WaitingFor(f"waiting for {kind} {local_id} to reach the CRM")
    return link.remote_id


def _save_link(
    session: Session,
    link: CrmLink | None,
    *,
    connection_id: int,
    kind: str,
    local_id: int,
    remote_id: str,
    digest: str,
) -> CrmLink:
    now = utcnow()
    if link is None:
        link = CrmLink(
            connection_id=connection_id,
            local_kind=kind,
            local_id=local_id,
            remote_id=remote_id,
            base={},
            remote_fields={},
            local_version=0,
        )
        session.add(link)
    link.remote_id = remote_id
    link.pushed_hash = digest
    link.pushed_at = now
    return link


def open_conflict_fields(session: Session, link_id: int) -> set[str]:
    return set(
        session.scalars(
            select(CrmConflict.field).where(
                CrmConflict.link_id == link_id, CrmConflict.status == "open"
            )
        )
    )


def contact_digest(values: dict[str, Any], held: set[str]) -> str:
    """What a contact push carries, minus fields held by an open conflict."""
    keys = [*SHARED_FIELDS, *GROUNDSWELL_OWNED]
    return payload_hash({k: values.get(k) for k in keys if k not in held})


def push_contact(session: Session, client: CrmClient, connection_id: int, local_id: int) -> bool:
    contact = records.load_contact(session, local_id)
    if contact is None:
        return False
    link = _link(session, connection_id, "contact", local_id)
    held = open_conflict_fields(session, link.id) if link is not None else set()
    digest = contact_digest(contact.values, held)
    if link is not None and link.pushed_hash == digest:
        link.pushed_at = utcnow()
        return False
    if link is None:
        send = {k: contact.values.get(k) for k in (*SHARED_FIELDS, *GROUNDSWELL_OWNED)}
    else:
        # Only what changed here: a field the CRM changed meanwhile is not written over.
        send = {
            f: contact.values.get(f)
            for f in SHARED_FIELDS
            if f not in held and norm(contact.values.get(f)) != norm(link.base.get(f))
        }
        send |= {k: contact.values.get(k) for k in GROUNDSWELL_OWNED}
    remote_id = client.upsert_contact(external_id("contact", local_id), send)
    link = _save_link(
        session,
        link,
        connection_id=connection_id,
        kind="contact",
        local_id=local_id,
        remote_id=remote_id,
        digest=digest,
    )
    base = dict(link.base or {})
    base.update({f: norm(send[f]) for f in SHARED_FIELDS if f in send})
    link.base = base
    return True


def push_case(session: Session, client: CrmClient, connection_id: int, local_id: int) -> bool:
    case = records.load_case(session, local_id)
    if case is None:
        return False
    contact_remote = _remote_id_of(session, connection_id, "contact", case.contact_id)
    link = _link(session, connection_id, "case", local_id)
    digest = payload_hash({**case.values, "contact": contact_remote})
    if link is not None and link.pushed_hash == digest:
        link.local_version = case.version
        return False
    remote_id = client.upsert_case(external_id("case", local_id), case.values, contact_remote)
    link = _save_link(
        session,
        link,
        connection_id=connection_id,
        kind="case",
        local_id=local_id,
        remote_id=remote_id,
        digest=digest,
    )
    link.local_version = case.version
    return True


def push_interaction(
    session: Session, client: CrmClient, connection_id: int, local_id: int
) -> bool:
    item = records.load_interaction(session, local_id)
    if item is None:
        return False
    case_remote = _remote_id_of(session, connection_id, "case", item.case_id)
    contact_remote = _remote_id_of(session, connection_id, "contact", item.contact_id)
    link = _link(session, connection_id, "interaction", local_id)
    digest = payload_hash({**item.values, "contact": contact_remote, "case": case_remote})
    if link is not None and link.pushed_hash == digest:
        return False
    remote_id = client.upsert_activity(
        external_id("interaction", local_id),
        item.values,
        contact_remote,
        case_remote,
        link.remote_id if link is not None else None,
    )
    _save_link(
        session,
        link,
        connection_id=connection_id,
        kind="interaction",
        local_id=local_id,
        remote_id=remote_id,
        digest=digest,
    )
    return True


PUSHERS = {"contact": push_contact, "case": push_case, "interaction": push_interaction}


def push_one(session: Session, client: CrmClient, outbox_id: int) -> bool | None:
    """Push one queued record and dequeue it; None when another run already did."""
    row = session.get(CrmOutbox, outbox_id)
    if row is None:
        return None
    pushed = PUSHERS[row.local_kind](session, client, row.connection_id, row.local_id)
    # A run beside this one (the loop and "Run now") may have pushed and dequeued the same
    # row meanwhile; the push is an upsert by external id, so deleting zero rows is fine.
    session.execute(delete(CrmOutbox).where(CrmOutbox.id == outbox_id))
    return pushed


def record_failure(session: Session, outbox_id: int, message: str) -> None:
    row = session.get(CrmOutbox, outbox_id)
    if row is not None:
        row.attempts += 1
        row.last_error = message[:500]
