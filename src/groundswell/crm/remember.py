"""The remember stage: turn enriched posts into identities, contacts, threads, interactions.

One call handles a whole batch in the caller's transaction with a fixed number of
statements (not one per post), which is what lets the pipeline keep up with bursts.
It is idempotent: interactions are inserted with ON CONFLICT DO NOTHING and everything
that counts (rollups, subject links) follows only from rows that were really inserted,
so a redelivered batch changes nothing. Concurrent workers lock shared rows in sorted
order, and a new identity is linked to a contact only while its ``contact_id`` is still
empty under a row lock, so two workers never create two contacts for one handle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, select, tuple_, update
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.upsert import chunks, dialect_insert
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.keys import exact_keys
from groundswell.crm.models import (
    Contact,
    ContactKey,
    Conversation,
    Identity,
    Interaction,
    InteractionSubject,
)
from groundswell.crm.threading import Key, assign_threads
from groundswell.enrichment.base import Enrichment
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening.rollups import RollupInput, add_to_rollups, aggregate

CHUNK = 500

_identities = cast(Table, Identity.__table__)
_contacts = cast(Table, Contact.__table__)
_contact_keys = cast(Table, ContactKey.__table__)
_conversations = cast(Table, Conversation.__table__)
_interactions = cast(Table, Interaction.__table__)
_interaction_subjects = cast(Table, InteractionSubject.__table__)


@dataclass(frozen=True, slots=True)
class StoredInteraction:
    id: int
    channel: str
    external_id: str
    direction: str
    contact_id: int | None
    conversation_id: int | None
    sentiment_label: str
    subject_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RememberResult:
    stored: list[StoredInteraction]
    duplicates: int
    new_identities: int
    new_contacts: int


@dataclass(slots=True)
class _IdentityRow:
    id: int
    contact_id: int | None
    is_brand: bool


def remember_batch(
    session: Session,
    *,
    items: Sequence[tuple[InboundPost, Enrichment]],
    channels: ChannelIds,
) -> RememberResult:
    """Store a batch of enriched posts; the caller commits."""
    unique: dict[Key, tuple[InboundPost, Enrichment]] = {}
    for post, enrichment in items:
        unique.setdefault((post.channel, post.external_id), (post, enrichment))
    channel_ids = channels.resolve(session, {key[0] for key in unique})

    existing = _existing_keys(session, channel_ids, list(unique))
    fresh = sorted(
        (pe for key, pe in unique.items() if key not in existing),
        key=lambda pe: pe[0].created_at,
    )
    duplicates = len(items) - len(fresh)
    if not fresh:
        return RememberResult([], duplicates, 0, 0)

    identities, new_identities = _upsert_identities(session, fresh)
    new_contacts = _link_identities(session, fresh, identities)
    conversations = _resolve_conversations(session, fresh, channel_ids, identities)
    stored = _insert_interactions(session, fresh, channel_ids, identities, conversations)

    by_key = {(p.channel, p.external_id): (p, e) for p, e in fresh}
    links = [{"interaction_id": s.id, "subject_id": sid} for s in stored for sid in s.subject_ids]
    for part in chunks(links, CHUNK):
        session.execute(_interaction_subjects.insert(), part)
    add_to_rollups(
        session,
        aggregate(
            RollupInput(
                created_at=by_key[(s.channel, s.external_id)][0].created_at,
                channel_id=channel_ids[s.channel],
                sentiment_label=s.sentiment_label,
                sentiment_score=by_key[(s.channel, s.external_id)][1].sentiment.score,
                subject_ids=s.subject_ids,
            )
            for s in stored
            if s.direction == "in"
        ),
    )
    return RememberResult(
        stored, duplicates + len(fresh) - len(stored), new_identities, new_contacts
    )


def _existing_keys(session: Session, channel_ids: dict[str, int], keys: list[Key]) -> set[Key]:
    by_channel: dict[str, list[str]] = defaultdict(list)
    for channel, external_id in keys:
        by_channel[channel].append(external_id)
    found: set[Key] = set()
    for channel, external_ids in by_channel.items():
        for part in chunks(external_ids, CHUNK):
            rows = session.execute(
                select(Interaction.external_id).where(
                    Interaction.channel_id == channel_ids[channel],
                    Interaction.external_id.in_(part),
                )
            )
            found.update((channel, ext) for (ext,) in rows)
    return found


def _upsert_identities(
    session: Session, fresh: list[tuple[InboundPost, Enrichment]]
) -> tuple[dict[Key, _IdentityRow], int]:
    """Create or refresh each author's identity; returns rows by (platform, external id)."""
    latest: dict[Key, tuple[InboundPost, datetime]] = {}
    first: dict[Key, datetime] = {}
    for post, _ in fresh:
        key = (post.channel, post.author.external_id)
        first.setdefault(key, post.created_at)
        latest[key] = (post, post.created_at)
    table = _identities
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
                "is_brand": post.direction == "out",
                "first_seen": first[key],
                "last_seen": seen,
            }
        )
    insert = dialect_insert(session, table)
    ex = insert.excluded
    stmt = insert.on_conflict_do_update(
        index_elements=["platform", "external_id"],
        set_={
            "handle": case((ex.handle.is_not(None), ex.handle), else_=table.c.handle),
            "display_name": case(
                (ex.display_name.is_not(None), ex.display_name), else_=table.c.display_name
            ),
            "followers": case((ex.followers.is_not(None), ex.followers), else_=table.c.followers),
            "verified": ex.verified,
            "profile_url": case(
                (ex.profile_url.is_not(None), ex.profile_url), else_=table.c.profile_url
            ),
            "is_brand": table.c.is_brand | ex.is_brand,
            "last_seen": case(
                (ex.last_seen > table.c.last_seen, ex.last_seen), else_=table.c.last_seen
            ),
        },
    )
    for part in chunks(values, CHUNK):
        session.execute(stmt, part)
    rows: dict[Key, _IdentityRow] = {}
    by_platform: dict[str, list[str]] = defaultdict(list)
    for platform, external_id in latest:
        by_platform[platform].append(external_id)
    for platform, external_ids in by_platform.items():
        for part in chunks(external_ids, CHUNK):
            result = session.execute(
                select(
                    Identity.external_id, Identity.id, Identity.contact_id, Identity.is_brand
                ).where(Identity.platform == platform, Identity.external_id.in_(part))
            )
            for ext, iid, contact_id, is_brand in result:
                rows[(platform, ext)] = _IdentityRow(iid, contact_id, bool(is_brand))
    new = sum(1 for r in rows.values() if r.contact_id is None and not r.is_brand)
    return rows, new


def _link_identities(
    session: Session,
    fresh: list[tuple[InboundPost, Enrichment]],
    identities: dict[Key, _IdentityRow],
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
                _contacts.insert().returning(_contacts.c.id, sort_by_parameter_order=True),
                part,
            )
            created_ids.extend(r[0] for r in result)

    updates = []
    for key, (how, ref, linked_by) in plan.items():
        contact_id = created_ids[ref] if how == "new" else ref
        identities[key].contact_id = contact_id
        updates.append({"iid": identities[key].id, "cid": contact_id, "why": linked_by})
    for part in chunks(updates, CHUNK):
        session.execute(
            update(_identities)
            .where(_identities.c.id == bindparam("iid"))
            .values(contact_id=bindparam("cid"), linked_by=bindparam("why")),
            part,
        )

    key_rows = []
    for key, ks in keys_of.items():
        owner_id = identities[key].contact_id
        if owner_id is None:
            continue
        for kind, value, source in ks:
            key_rows.append(
                {"contact_id": owner_id, "kind": kind, "value": value, "source": source}
            )
    key_rows.sort(key=lambda r: (r["kind"], r["value"]))
    key_insert = dialect_insert(session, _contact_keys).on_conflict_do_nothing(
        index_elements=["kind", "value"]
    )
    for part in chunks(key_rows, CHUNK):
        session.execute(key_insert, part)
    return len(created_ids)


def _lock_unlinked(
    session: Session, unlinked: list[Key], identities: dict[Key, _IdentityRow]
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


@dataclass(slots=True)
class _Conv:
    id: int
    contact_id: int | None


def _resolve_conversations(
    session: Session,
    fresh: list[tuple[InboundPost, Enrichment]],
    channel_ids: dict[str, int],
    identities: dict[Key, _IdentityRow],
) -> dict[Key, _Conv]:
    """Find or create each post's conversation; merge threads whose root arrived late."""
    parents: dict[str, set[str]] = defaultdict(set)
    for post, _ in fresh:
        if post.reply_to_external_id:
            parents[post.channel].add(post.reply_to_external_id)
    known: dict[Key, int] = {}
    known_contact: dict[int, int | None] = {}
    for channel, ids in parents.items():
        for part in chunks(sorted(ids), CHUNK):
            rows = session.execute(
                select(Interaction.external_id, Interaction.conversation_id).where(
                    Interaction.channel_id == channel_ids[channel],
                    Interaction.external_id.in_(part),
                    Interaction.conversation_id.is_not(None),
                )
            )
            known.update({(channel, ext): cid for ext, cid in rows if cid is not None})

    refs = assign_threads(
        [((p.channel, p.external_id), p.reply_to_external_id) for p, _ in fresh], known
    )

    # Create conversations named by root, first inbound author's contact as the customer.
    root_info: dict[tuple[str, str], dict[str, Any]] = {}
    for post, _ in fresh:
        ref = refs[(post.channel, post.external_id)]
        if ref.root is None:
            continue
        info = root_info.setdefault(
            (post.channel, ref.root),
            {
                "channel_id": channel_ids[post.channel],
                "root_external_id": ref.root,
                "started_at": post.created_at,
                "last_activity_at": post.created_at,
                "contact_id": None,
            },
        )
        info["last_activity_at"] = max(info["last_activity_at"], post.created_at)
        if info["contact_id"] is None and post.direction == "in":
            info["contact_id"] = identities[(post.channel, post.author.external_id)].contact_id
    by_root: dict[tuple[str, str], _Conv] = {}
    if root_info:
        values = [root_info[k] for k in sorted(root_info)]
        conv_insert = dialect_insert(session, _conversations).on_conflict_do_nothing(
            index_elements=["channel_id", "root_external_id"]
        )
        for part in chunks(values, CHUNK):
            session.execute(conv_insert, part)
        roots_by_channel: dict[str, list[str]] = defaultdict(list)
        for channel, root in root_info:
            roots_by_channel[channel].append(root)
        for channel, roots in roots_by_channel.items():
            for part in chunks(sorted(roots), CHUNK):
                conv_rows = session.execute(
                    select(
                        Conversation.root_external_id, Conversation.id, Conversation.contact_id
                    ).where(
                        Conversation.channel_id == channel_ids[channel],
                        Conversation.root_external_id.in_(part),
                    )
                )
                for root, cid, contact_id in conv_rows:
                    by_root[(channel, root)] = _Conv(cid, contact_id)
    if known:
        conv_ids = sorted(set(known.values()))
        for part in chunks(conv_ids, CHUNK):
            contact_rows = session.execute(
                select(Conversation.id, Conversation.contact_id).where(Conversation.id.in_(part))
            )
            known_contact.update({cid: contact for cid, contact in contact_rows})

    out: dict[Key, _Conv] = {}
    last_activity: dict[int, datetime] = {}
    needs_contact: dict[int, int] = {}
    for post, _ in fresh:
        key = (post.channel, post.external_id)
        ref = refs[key]
        if ref.conversation_id is not None:
            conv = _Conv(ref.conversation_id, known_contact.get(ref.conversation_id))
        else:
            assert ref.root is not None
            conv = by_root[(post.channel, ref.root)]
        if conv.contact_id is None and post.direction == "in":
            contact = identities[(post.channel, post.author.external_id)].contact_id
            if contact is not None:
                conv.contact_id = contact
                needs_contact[conv.id] = contact
        out[key] = conv
        last_activity[conv.id] = max(last_activity.get(conv.id, post.created_at), post.created_at)

    _merge_late_roots(session, fresh, channel_ids, out)
    conv_table = _conversations
    touch = [{"cid": cid, "ts": ts} for cid, ts in sorted(last_activity.items())]
    for part in chunks(touch, CHUNK):
        session.execute(
            update(conv_table)
            .where(
                and_(
                    conv_table.c.id == bindparam("cid"),
                    conv_table.c.last_activity_at < bindparam("ts"),
                )
            )
            .values(last_activity_at=bindparam("ts")),
            part,
        )
    fill = [{"cid": cid, "contact": c} for cid, c in sorted(needs_contact.items())]
    for part in chunks(fill, CHUNK):
        session.execute(
            update(conv_table)
            .where(and_(conv_table.c.id == bindparam("cid"), conv_table.c.contact_id.is_(None)))
            .values(contact_id=bindparam("contact")),
            part,
        )
    return out


def _merge_late_roots(
    session: Session,
    fresh: list[tuple[InboundPost, Enrichment]],
    channel_ids: dict[str, int],
    convs: dict[Key, _Conv],
) -> None:
    """A reply that arrived before its parent started a thread named after the parent.

    When that parent turns out to be a reply itself, fold the early thread into the
    parent's own thread so the whole exchange reads as one conversation.
    """
    replying = [(p.channel, p.external_id) for p, _ in fresh if p.reply_to_external_id]
    if not replying:
        return
    by_channel: dict[str, list[str]] = defaultdict(list)
    for channel, ext in replying:
        by_channel[channel].append(ext)
    for channel, exts in by_channel.items():
        for part in chunks(sorted(exts), CHUNK):
            rows = session.execute(
                select(Conversation.root_external_id, Conversation.id).where(
                    Conversation.channel_id == channel_ids[channel],
                    Conversation.root_external_id.in_(part),
                )
            )
            for root, orphan_id in rows:
                target = convs[(channel, root)]
                if orphan_id == target.id:
                    continue
                for conv in convs.values():
                    if conv.id == orphan_id:
                        conv.id = target.id
                session.execute(
                    update(Interaction)
                    .where(Interaction.conversation_id == orphan_id)
                    .values(conversation_id=target.id)
                )
                session.execute(delete(Conversation).where(Conversation.id == orphan_id))


def _insert_interactions(
    session: Session,
    fresh: list[tuple[InboundPost, Enrichment]],
    channel_ids: dict[str, int],
    identities: dict[Key, _IdentityRow],
    convs: dict[Key, _Conv],
) -> list[StoredInteraction]:
    rows: list[dict[str, Any]] = []
    meta: dict[Key, tuple[str, int | None, int | None, str, tuple[int, ...]]] = {}
    for post, enrichment in fresh:
        key = (post.channel, post.external_id)
        identity = identities[(post.channel, post.author.external_id)]
        conv = convs[key]
        contact_id = identity.contact_id if post.direction == "in" else conv.contact_id
        label = enrichment.sentiment.label
        meta[key] = (post.direction, contact_id, conv.id, label, enrichment.subject_ids)
        rows.append(
            {
                "channel_id": channel_ids[post.channel],
                "external_id": post.external_id,
                "direction": post.direction,
                "identity_id": identity.id,
                "contact_id": contact_id,
                "conversation_id": conv.id,
                "text": post.text,
                "created_at": post.created_at,
                "url": post.url,
                "reply_to_external_id": post.reply_to_external_id,
                "likes": post.engagement.likes,
                "shares": post.engagement.shares,
                "replies": post.engagement.replies,
                "language": enrichment.language.code,
                "sentiment_score": enrichment.sentiment.score,
                "sentiment_label": label,
                "intent": enrichment.intent,
                "subject_ids": list(enrichment.subject_ids),
                "entities": enrichment.entities.as_dict(),
                "influence": enrichment.influence,
                "enrichment_versions": enrichment.versions,
                "raw": post.raw,
            }
        )
    channel_key = {v: k for k, v in channel_ids.items()}
    stored: list[StoredInteraction] = []
    table = _interactions
    now = utcnow()
    for row in rows:
        row["ingested_at"] = now
    stmt = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
        .returning(table.c.id, table.c.channel_id, table.c.external_id)
    )
    for part in chunks(rows, 1000):
        for returned in session.execute(stmt, part).all():
            iid, cid, ext = cast(tuple[int, int, str], tuple(returned))
            key = (channel_key[cid], ext)
            direction, contact_id, conv_id, label, subjects = meta[key]
            stored.append(
                StoredInteraction(
                    iid, key[0], key[1], direction, contact_id, conv_id, label, subjects
                )
            )
    return stored
