"""Inbound: contact changes made in the CRM come back into Groundswell.

Only contacts Groundswell linked are read back (a contact created in the CRM alone is
not imported). For each, the shared fields go through the three-way rule of
``fields``; the CRM's own fields (company, owner) are always taken. A field both sides
changed becomes an open conflict and neither side is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.crmsync import records
from groundswell.crmsync.clients.base import RemoteContact
from groundswell.crmsync.fields import FieldChange, compare, norm
from groundswell.crmsync.models import CrmConflict, CrmLink
from groundswell.crmsync.push import contact_digest, open_conflict_fields


@dataclass
class PullCounts:
    pulled: int = 0
    applied: int = 0
    conflicts: int = 0
    cursor: str | None = None


def _record_conflict(
    session: Session,
    link: CrmLink,
    remote: RemoteContact,
    change: FieldChange,
    local_at: datetime | None,
) -> bool:
    """Open (or refresh) the conflict on this field; True when it is new."""
    field = change.field
    row = session.scalar(
        select(CrmConflict).where(
            CrmConflict.link_id == link.id,
            CrmConflict.field == field,
            CrmConflict.status == "open",
        )
    )
    if row is None:
        row = CrmConflict(
            connection_id=link.connection_id,
            link_id=link.id,
            contact_id=link.local_id,
            field=field,
            status="open",
        )
        session.add(row)
        created = True
    else:
        created = False
    row.base_value = change.base
    row.local_value = change.local
    row.remote_value = change.remote
    row.local_changed_at = local_at
    row.remote_changed_at = remote.modified_at.isoformat()
    row.detected_at = utcnow()
    return created


def apply_remote(session: Session, link: CrmLink, remote: RemoteContact) -> tuple[bool, int]:
    """(whether the contact changed here, conflicts opened) for one remote contact."""
    contact = records.load_contact(session, link.local_id)
    if contact is None:
        return False, 0
    base = dict(link.base or {})
    updates: dict[str, object] = {}
    conflicts = 0
    local_pending = False
    for change in compare(base, contact.values, remote.values):
        if change.decision == "same":
            base[change.field] = change.remote
        elif change.decision == "take_remote":
            updates[change.field] = change.remote
            base[change.field] = change.remote
        elif change.decision == "push":
            local_pending = True
        else:
            conflicts += _record_conflict(session, link, remote, change, contact.updated_at)
    company = norm(remote.values.get("company"))
    seen_before = (link.remote_fields or {}).get("company")
    if company != norm(contact.values.get("company")) and (
        company is not None or seen_before is not None
    ):
        # The CRM owns the company: its change is taken, but a CRM that never had one
        # does not clear Groundswell's on the first read.
        updates["company"] = company
    link.base = base
    link.remote_fields = {
        "company": company,
        "owner": norm(remote.values.get("owner")),
    }
    link.remote_modified_at = remote.modified_at.isoformat()
    if not updates:
        return False, conflicts
    records.apply_contact_fields(session, link.local_id, updates)
    if not local_pending and link.pushed_at is not None:
        # What was applied is what the CRM has: no push is needed for it.
        fresh = records.load_contact(session, link.local_id)
        if fresh is not None:
            held = open_conflict_fields(session, link.id)
            link.pushed_hash = contact_digest(fresh.values, held)
            link.pushed_at = utcnow()
    return True, conflicts


def pull_contacts(
    session: Session, *, connection_id: int, changed: Iterable[RemoteContact], cursor: str | None
) -> PullCounts:
    counts = PullCounts(cursor=cursor)
    newest = cursor
    for remote in changed:
        counts.pulled += 1
        stamp = remote.modified_at.isoformat()
        if newest is None or stamp > newest:
            newest = stamp
        link = session.scalar(
            select(CrmLink).where(
                CrmLink.connection_id == connection_id,
                CrmLink.local_kind == "contact",
                CrmLink.remote_id == remote.remote_id,
            )
        )
        if link is None or link.remote_modified_at == stamp:
            continue
        applied, conflicts = apply_remote(session, link, remote)
        counts.applied += int(applied)
        counts.conflicts += conflicts
    session.flush()
    counts.cursor = newest
    return counts
