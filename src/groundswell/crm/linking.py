"""Identities for authors, and each unlinked identity's contact by exact key.

A new identity is linked only while its ``contact_id`` is still empty under a row lock,
so two workers never create two contacts for one handle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.executemany import execute_many
from groundswell.core.upsert import chunks, dialect_insert
from groundswell.crm.keys import exact_keys
from groundswell.crm.lookup import CHUNK, CONTACT_KEYS, CONTACTS, IDENTITIES, rows_in
from groundswell.crm.models import ContactKey, Identity
from groundswell.crm.threading import Key
from groundswell.enrichment.base import Enrichment
from groundswell.ingestion.schemas import InboundPost


@dataclass(slots=True)
class IdentityRow:
    id: int
    contact_id: int | None
    is_brand: bool


LAST_SEEN_GRANULARITY = timedelta(hours=1)
"""``last_seen`` moves only when it would move by at least this much."""

_PROFILE_FIELDS = (
    "handle",
    "display_name",
    "followers",
    "profile_url",
    "bio",
    "location",
    "timezone",
)
_SELECTED = (
    "external_id",
    "id",
    "contact_id",
    "is_brand",
    *_PROFILE_FIELDS,
    "verified",
    "last_seen",
)


def upsert_identities(
    session: Session, fresh: list[tuple[InboundPost, Enrichment]]
) -> tuple[dict[Key, IdentityRow], int]:
    """Create or refresh each author's identity; returns rows by (platform, external id).

    New identities are inserted with ON CONFLICT DO NOTHING, which takes no lock on rows
    that already exist; an existing identity is updated (and so locked until commit) only
    when its profile really changed. Two workers storing posts by the same authors then
    do not queue behind each other's transactions, as they did with a blanket upsert.
    """
    latest: dict[Key, tuple[InboundPost, datetime]] = {}
    first: dict[Key, datetime] = {}
    for post, _ in fresh:
        key = (post.channel, post.author.external_id)
        first.setdefault(key, post.created_at)
        latest[key] = (post, post.created_at)
    values = []
    for key in sorted(latest):
        post, seen = latest[key]
        author = post.author
        values.append(
            {
                "platform": key[0],
                "external_id": key[1],
                "handle": author.handle,
                "display_name": author.display_name,
                "followers": author.followers,
                "verified": author.verified,
                "profile_url": author.profile_url,
                "bio": author.bio,
                "location": author.location,
                "timezone": author.timezone,
                "is_brand": post.direction == "out",
                "first_seen": first[key],
                "last_seen": seen,
            }
        )
    insert = dialect_insert(session, IDENTITIES).on_conflict_do_nothing(
        index_elements=["platform", "external_id"]
    )
    for part in chunks(values, CHUNK):
        execute_many(session, insert, part)

    wanted: dict[str, set[str]] = defaultdict(set)
    for platform, external_id in latest:
        wanted[platform].add(external_id)
    by_key = {(v["platform"], v["external_id"]): v for v in values}
    rows: dict[Key, IdentityRow] = {}
    changes: list[dict[str, Any]] = []
    found = rows_in(
        session,
        [getattr(Identity, name) for name in _SELECTED],
        scope=Identity.platform,
        key=Identity.external_id,
        wanted=wanted,
    )
    for platform, row in found:
        current = dict(zip(_SELECTED, row, strict=True))
        ext, iid = current["external_id"], current["id"]
        rows[(platform, ext)] = IdentityRow(iid, current["contact_id"], bool(current["is_brand"]))
        change = _profile_change(current, by_key[(platform, ext)])
        if change is not None:
            changes.append({"iid": iid, **change})
    changes.sort(key=lambda c: int(c["iid"]))
    if changes:
        stmt = (
            update(IDENTITIES)
            .where(IDENTITIES.c.id == bindparam("iid"))
            .values(
                handle=bindparam("handle"),
                display_name=bindparam("display_name"),
                followers=bindparam("followers"),
                verified=bindparam("verified"),
                profile_url=bindparam("profile_url"),
                bio=bindparam("bio"),
                location=bindparam("location"),
                timezone=bindparam("timezone"),
                is_brand=bindparam("is_brand"),
                last_seen=bindparam("last_seen"),
            )
        )
        for part in chunks(changes, CHUNK):
            execute_many(session, stmt, part)
    new = sum(1 for r in rows.values() if r.contact_id is None and not r.is_brand)
    return rows, new


def _profile_change(current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any] | None:
    """The identity's new column values, or None when nothing worth a write changed.

    A missing value in the incoming profile never erases a stored one.
    """
    merged: dict[str, Any] = {}
    changed = False
    for name in _PROFILE_FIELDS:
        stored = current[name]
        value = incoming[name]
        if value is not None and value != stored:
            merged[name] = value
            changed = True
        else:
            merged[name] = stored
    merged["verified"] = incoming["verified"]
    changed = changed or bool(incoming["verified"]) != bool(current["verified"])
    merged["is_brand"] = bool(current["is_brand"]) or bool(incoming["is_brand"])
    changed = changed or merged["is_brand"] != bool(current["is_brand"])
    last_seen: datetime = current["last_seen"]
    if incoming["last_seen"] - last_seen >= LAST_SEEN_GRANULARITY:
        merged["last_seen"] = incoming["last_seen"]
        changed = True
    else:
        merged["last_seen"] = last_seen
    return merged if changed else None


def link_identities(
    session: Session,
    fresh: list[tuple[InboundPost, Enrichment]],
    identities: dict[Key, IdentityRow],
) -> int:
    """Link unlinked authors to a contact (by an exact key, else a new one); register keys.

    Returns how many contacts were created.
    """
    keys_of: dict[Key, list[tuple[str, str, str]]] = defaultdict(list)
    author_of: dict[Key, InboundPost] = {}
    for post, enrichment in fresh:
        if post.direction != "in":
            continue
        key = (post.channel, post.author.external_id)
        author_of.setdefault(key, post)
        for k in exact_keys(post.author, enrichment.entities):
            source = "profile" if k[2] == "profile" else f"post:{post.external_id}"
            if (k[0], k[1]) not in {(a, b) for a, b, _ in keys_of[key]}:
                keys_of[key].append((k[0], k[1], source))

    unlinked = sorted(
        (key for key in author_of if identities[key].contact_id is None),
        key=lambda k: identities[k].id,
    )
    if unlinked:
        unlinked = _lock_unlinked(session, unlinked, identities)

    all_keys = {(kind, value) for ks in keys_of.values() for kind, value, _ in ks}
    owner: dict[tuple[str, str], int] = _key_owners(session, all_keys)

    # Decide each unlinked identity's contact: an existing owner of one of its keys, a
    # contact created earlier in this batch sharing a key, or a new contact.
    placeholder_of_key: dict[tuple[str, str], int] = {}
    plan: dict[Key, tuple[str, int, str]] = {}  # key -> ("existing"|"new", id|slot, linked_by)
    new_contacts: list[dict[str, Any]] = []
    for key in unlinked:
        decided: tuple[str, int, str] | None = None
        for kind, value, _ in keys_of[key]:
            if (kind, value) in owner:
                decided = ("existing", owner[(kind, value)], f"{kind}:{value}")
                break
            if (kind, value) in placeholder_of_key:
                decided = ("new", placeholder_of_key[(kind, value)], f"{kind}:{value}")
                break
        if decided is None:
            author = author_of[key].author
            emails = [v for k, v, _ in keys_of[key] if k == "email"]
            phones = [v for k, v, _ in keys_of[key] if k == "phone"]
            new_contacts.append(
                {
                    "display_name": author.display_name or author.handle or author.external_id,
                    "email": emails[0] if emails else None,
                    "phone": phones[0] if phones else None,
                }
            )
            decided = ("new", len(new_contacts) - 1, "new")
        for kind, value, _ in keys_of[key]:
            if decided[0] == "new":
                placeholder_of_key.setdefault((kind, value), decided[1])
        plan[key] = decided

    created_ids: list[int] = []
    if new_contacts:
        now = utcnow()
        for row in new_contacts:
            row["created_at"] = now
            row["updated_at"] = now
        for part in chunks(new_contacts, CHUNK):
            result = session.execute(
                CONTACTS.insert().returning(CONTACTS.c.id, sort_by_parameter_order=True),
                part,
            )
            created_ids.extend(r[0] for r in result)

    updates = []
    for key, (how, ref, linked_by) in plan.items():
        contact_id = created_ids[ref] if how == "new" else ref
        identities[key].contact_id = contact_id
        updates.append({"iid": identities[key].id, "cid": contact_id, "why": linked_by})
    for part in chunks(updates, CHUNK):
        execute_many(
            session,
            update(IDENTITIES)
            .where(IDENTITIES.c.id == bindparam("iid"))
            .values(contact_id=bindparam("cid"), linked_by=bindparam("why")),
            part,
        )

    key_rows = []
    keyed_at = utcnow()
    for key, ks in keys_of.items():
        owner_id = identities[key].contact_id
        if owner_id is None:
            continue
        for kind, value, source in ks:
            key_rows.append(
                {
                    "contact_id": owner_id,
                    "kind": kind,
                    "value": value,
                    "source": source,
                    "created_at": keyed_at,
                }
            )
    key_rows.sort(key=lambda r: (r["kind"], r["value"]))
    key_insert = dialect_insert(session, CONTACT_KEYS).on_conflict_do_nothing(
        index_elements=["kind", "value"]
    )
    for part in chunks(key_rows, CHUNK):
        execute_many(session, key_insert, part)
    return len(created_ids)


def _lock_unlinked(
    session: Session, unlinked: list[Key], identities: dict[Key, IdentityRow]
) -> list[Key]:
    """Lock the unlinked identities and keep those still unlinked (another worker may win)."""
    by_id = {identities[k].id: k for k in unlinked}
    still: list[Key] = []
    for part in chunks(sorted(by_id), CHUNK):
        rows = session.execute(
            select(Identity.id, Identity.contact_id)
            .where(Identity.id.in_(part))
            .order_by(Identity.id)
            .with_for_update()
        )
        for iid, contact_id in rows:
            key = by_id[iid]
            identities[key].contact_id = contact_id
            if contact_id is None:
                still.append(key)
    return still


def _key_owners(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    owners: dict[tuple[str, str], int] = {}
    for part in chunks(sorted(keys), CHUNK):
        rows = session.execute(
            select(ContactKey.kind, ContactKey.value, ContactKey.contact_id).where(
                tuple_(ContactKey.kind, ContactKey.value).in_(part)
            )
        )
        owners.update({(k, v): c for k, v, c in rows})
    return owners
