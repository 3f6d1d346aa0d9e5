"""One person's data: export it all as JSON, or erase it everywhere; both logged.

"The person" is the contact, every contact merged into it, their identities and
interactions (with our replies in their threads). Tables are found through the foreign
keys in the schema, so another domain's table that points at contacts, identities,
conversations or interactions is exported and erased without code here. Raw payloads go
with their interactions; dead letters (rejected records) whose payload names one of the
person's identifiers are deleted too. Per-minute rollups are counts without the person
and are kept, as the rules for aggregate statistics allow.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session

from groundswell.all_models import load_all_models
from groundswell.auth.audit import actor_from_label
from groundswell.auth.audit import record as audit_record
from groundswell.core.errors import NotFoundError
from groundswell.crm.models import Contact, ContactKey, Conversation, Identity, Interaction
from groundswell.crm.privacy_models import PrivacyRequest
from groundswell.ingestion.models import RejectedRecord

_PARENTS = ("contacts", "identities", "conversations", "interactions")
_OWN_TABLES = {"contacts", "identities", "conversations", "interactions", "privacy_requests"}
MIN_IDENTIFIER = 4
"""Shorter identifiers would match unrelated dead letters by accident."""


def _person(session: Session, contact_id: int) -> dict[str, list[int]]:
    if session.get(Contact, contact_id) is None:
        raise NotFoundError("contact", contact_id)
    contacts = [contact_id]
    frontier = [contact_id]
    while frontier:  # contacts merged into it, and into those
        frontier = list(
            session.scalars(select(Contact.id).where(Contact.merged_into_id.in_(frontier)))
        )
        contacts.extend(frontier)
    identities = list(session.scalars(select(Identity.id).where(Identity.contact_id.in_(contacts))))
    threads: list[int | None] = list(
        session.scalars(
            select(Interaction.conversation_id)
            .where(
                or_(Interaction.contact_id.in_(contacts), Interaction.identity_id.in_(identities)),
                Interaction.conversation_id.is_not(None),
            )
            .distinct()
        )
    )
    threads += list(
        session.scalars(select(Conversation.id).where(Conversation.contact_id.in_(contacts)))
    )
    conversations = sorted({c for c in threads if c is not None})
    interactions = list(
        session.scalars(
            select(Interaction.id).where(
                or_(
                    Interaction.contact_id.in_(contacts),
                    Interaction.identity_id.in_(identities),
                    (Interaction.direction == "out")
                    & Interaction.conversation_id.in_(conversations),
                )
            )
        )
    )
    return {
        "contacts": contacts,
        "identities": identities,
        "conversations": conversations,
        "interactions": interactions,
    }


def identifiers(session: Session, person: dict[str, list[int]]) -> set[str]:
    """Strings that name the person: handles, external ids, emails, phones, keys."""
    out: set[str] = set()
    for handle, external, name, url in session.execute(
        select(
            Identity.handle, Identity.external_id, Identity.display_name, Identity.profile_url
        ).where(Identity.id.in_(person["identities"]))
    ):
        out.update(v for v in (handle, external, name, url) if v)
    for email, phone, name in session.execute(
        select(Contact.email, Contact.phone, Contact.display_name).where(
            Contact.id.in_(person["contacts"])
        )
    ):
        out.update(v for v in (email, phone, name) if v)
    out.update(
        session.scalars(
            select(ContactKey.value).where(ContactKey.contact_id.in_(person["contacts"]))
        )
    )
    out.update(h.lstrip("@") for h in list(out) if h.startswith("@"))
    return {v for v in out if len(v) >= MIN_IDENTIFIER}


def _references() -> list[tuple[Table, str, str]]:
    """(table, column, parent) for every column that points at one of the person's rows."""
    out = []
    for table in load_all_models().metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent in _PARENTS and fk.column.name == "id" and table.name != parent:
                out.append((table, fk.parent.name, parent))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _rows(session: Session, table: Table, column: str, ids: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        for row in session.execute(
            select(table).where(table.c[column].in_(ids[start : start + 500]))
        ).mappings():
            out.append({k: _jsonable(v) for k, v in row.items()})
    return out


def _dead_letters(session: Session, idents: set[str]) -> list[RejectedRecord]:
    if not idents:
        return []
    conditions = [RejectedRecord.payload.contains(v, autoescape=True) for v in sorted(idents)]
    found: dict[int, RejectedRecord] = {}
    for start in range(0, len(conditions), 200):
        for row in session.scalars(
            select(RejectedRecord).where(or_(*conditions[start : start + 200]))
        ):
            found[row.id] = row
    return list(found.values())


def export_person(session: Session, *, contact_id: int, actor: str) -> dict[str, Any]:
    """Every row about the person, by table; the request is logged (without the data)."""
    person = _person(session, contact_id)
    tables = {t.name: t for t in load_all_models().metadata.sorted_tables}
    data: dict[str, list[dict[str, Any]]] = {
        name: _rows(session, tables[name], "id", person[name]) for name in _PARENTS
    }
    for table, column, parent in _references():
        if table.name in _OWN_TABLES:
            continue
        rows = _rows(session, table, column, person[parent])
        if rows:
            seen = data.setdefault(table.name, [])
            seen.extend(r for r in rows if r not in seen)
    idents = identifiers(session, person)
    data["rejected_records"] = [
        {c.name: _jsonable(getattr(r, c.key)) for c in RejectedRecord.__table__.columns}
        for r in _dead_letters(session, idents)
    ]
    counts = {name: len(rows) for name, rows in data.items()}
    session.add(
        PrivacyRequest(kind="export", contact_id=contact_id, actor=actor[:200], counts=counts)
    )
    audit_record(
        session,
        actor=actor_from_label(actor),
        action="privacy.export",
        target_type="contact",
        target_id=contact_id,
        details={"rows": sum(counts.values())},
    )
    session.flush()
    return {"contact_id": contact_id, "tables": data, "counts": counts}


def erase_person(session: Session, *, contact_id: int, actor: str) -> dict[str, int]:
    """Delete every row about the person; returns how many rows per table went."""
    person = _person(session, contact_id)
    idents = identifiers(session, person)
    counts: dict[str, int] = {}
    # Dependants first (corrections, subject links, purchases, tags, notes, cases…).
    for table, column, parent in reversed(_references()):
        if table.name in _OWN_TABLES or not person[parent]:
            continue
        n = 0
        for start in range(0, len(person[parent]), 500):
            part = person[parent][start : start + 500]
            result = session.execute(delete(table).where(table.c[column].in_(part)))
            n += result.rowcount or 0  # type: ignore[attr-defined]
        if n:
            counts[table.name] = counts.get(table.name, 0) + n
    # Other people's posts in the person's threads stay, detached from the thread.
    ids = person["interactions"]
    for start in range(0, len(person["conversations"]), 500):
        session.execute(
            update(Interaction)
            .where(
                Interaction.conversation_id.in_(person["conversations"][start : start + 500]),
                Interaction.id.not_in(ids),
            )
            .values(conversation_id=None)
        )
    for model, key in (
        (Interaction, "interactions"),
        (Conversation, "conversations"),
        (Identity, "identities"),
    ):
        n = 0
        for start in range(0, len(person[key]), 500):
            result = session.execute(
                delete(model).where(model.id.in_(person[key][start : start + 500]))
            )
            n += result.rowcount or 0  # type: ignore[attr-defined]
        counts[key] = n
    session.execute(
        update(Contact).where(Contact.id.in_(person["contacts"])).values(merged_into_id=None)
    )
    result = session.execute(delete(Contact).where(Contact.id.in_(person["contacts"])))
    counts["contacts"] = result.rowcount or 0  # type: ignore[attr-defined]
    dead = _dead_letters(session, idents)
    for row in dead:
        session.delete(row)
    counts["rejected_records"] = len(dead)
    # The merge log names the person's contact ids; it goes with them.
    from groundswell.crm.matching.models import MergeEvent

    result = session.execute(
        delete(MergeEvent).where(
            or_(
                MergeEvent.kept_contact_id.in_(person["contacts"]),
                MergeEvent.merged_contact_id.in_(person["contacts"]),
            )
        )
    )
    counts["merge_events"] = result.rowcount or 0  # type: ignore[attr-defined]
    session.add(
        PrivacyRequest(kind="erase", contact_id=contact_id, actor=actor[:200], counts=counts)
    )
    audit_record(
        session,
        actor=actor_from_label(actor),
        action="privacy.erase",
        target_type="contact",
        target_id=contact_id,
        details={"rows": sum(counts.values())},
    )
    session.flush()
    return counts


def privacy_log(session: Session, *, limit: int = 100) -> list[PrivacyRequest]:
    return list(
        session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.id.desc()).limit(limit))
    )
