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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.runtime.models import ChannelAccount
from groundswell.core.clock import utcnow
from groundswell.core.executemany import execute_many
from groundswell.core.upsert import chunks, dialect_insert
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.conversations import Conv, resolve_conversations
from groundswell.crm.linking import IdentityRow, link_identities, upsert_identities
from groundswell.crm.lookup import (
    CHUNK,
    INTERACTION_SUBJECTS,
    INTERACTIONS,
    by_channel,
    rows_in,
)
from groundswell.crm.models import Interaction
from groundswell.crm.sqlite_insert import insert_returning_sqlite
from groundswell.crm.threading import Key
from groundswell.crm.visibility import PRIVATE_KINDS, stored_private
from groundswell.enrichment.base import Enrichment
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening.rollups import RollupInput, add_to_rollups, aggregate


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
    private: bool = False


@dataclass(frozen=True, slots=True)
class RememberResult:
    stored: list[StoredInteraction]
    duplicates: int
    new_identities: int
    new_contacts: int


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

    identities, new_identities = upsert_identities(session, fresh)
    new_contacts = link_identities(session, fresh, identities)
    conversations = resolve_conversations(session, fresh, channel_ids, identities)
    stored = _insert_interactions(session, fresh, channel_ids, identities, conversations)

    by_key = {(p.channel, p.external_id): (p, e) for p, e in fresh}
    links = [{"interaction_id": s.id, "subject_id": sid} for s in stored for sid in s.subject_ids]
    for part in chunks(links, CHUNK):
        execute_many(session, INTERACTION_SUBJECTS.insert(), part)
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
    channel_key = {v: k for k, v in channel_ids.items()}
    rows = rows_in(
        session,
        [Interaction.external_id],
        scope=Interaction.channel_id,
        key=Interaction.external_id,
        wanted=by_channel(keys, channel_ids),
    )
    return {(channel_key[cid], ext) for cid, (ext,) in rows}


def _insert_interactions(
    session: Session,
    fresh: list[tuple[InboundPost, Enrichment]],
    channel_ids: dict[str, int],
    identities: dict[Key, IdentityRow],
    convs: dict[Key, Conv],
) -> list[StoredInteraction]:
    rows: list[dict[str, Any]] = []
    meta: dict[Key, tuple[str, int | None, int | None, str, tuple[int, ...], bool]] = {}
    private_keys = _private_kind_keys(session, set(channel_ids))
    for post, enrichment in fresh:
        key = (post.channel, post.external_id)
        identity = identities[(post.channel, post.author.external_id)]
        conv = convs[key]
        contact_id = identity.contact_id if post.direction == "in" else conv.contact_id
        label = enrichment.sentiment.label
        private = stored_private(
            flagged=post.private, channel_key=post.channel, private_keys=private_keys
        )
        meta[key] = (post.direction, contact_id, conv.id, label, enrichment.subject_ids, private)
        rows.append(
            {
                "channel_id": channel_ids[post.channel],
                "external_id": post.external_id,
                "direction": post.direction,
                "identity_id": identity.id,
                "contact_id": contact_id,
                "conversation_id": conv.id,
                "text": post.text,
                "private": private,
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
                "intents": enrichment.intents or None,
                "sentiment_confidence": enrichment.sentiment.confidence,
                "sentiment_model": enrichment.versions.get("sentiment"),
                "flags": list(enrichment.flags) or None,
                "subject_ids": list(enrichment.subject_ids),
                "entities": enrichment.entities.as_dict(),
                "influence": enrichment.influence,
                "enrichment_versions": enrichment.versions,
                "raw": post.raw,
            }
        )
    channel_key = {v: k for k, v in channel_ids.items()}
    stored: list[StoredInteraction] = []
    now = utcnow()
    for row in rows:
        row["ingested_at"] = now
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        inserted = _insert_returning_pipelined(session, rows)
    elif dialect == "sqlite":
        inserted = insert_returning_sqlite(session, rows)
    else:
        inserted = insert_returning_orm(session, rows)
    for iid, cid, ext in inserted:
        key = (channel_key[cid], ext)
        direction, contact_id, conv_id, label, subjects, private = meta[key]
        stored.append(
            StoredInteraction(
                iid, key[0], key[1], direction, contact_id, conv_id, label, subjects, private
            )
        )
    return stored


def insert_returning_orm(
    session: Session, rows: list[dict[str, Any]]
) -> list[tuple[int, int, str]]:
    """The same insert through SQLAlchemy's executemany, for any other dialect (and the
    reference the driver-level paths are tested against)."""
    table = INTERACTIONS
    stmt = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
        .returning(table.c.id, table.c.channel_id, table.c.external_id)
    )
    return [
        cast(tuple[int, int, str], tuple(returned))
        for part in chunks(rows, 1000)
        for returned in session.execute(stmt, part).all()
    ]


def _private_kind_keys(session: Session, keys: set[str]) -> frozenset[str]:
    """Which of ``keys`` a private-only connector kind serves (a mailbox named ``support``):
    every post on those channels is private, whatever the post itself says."""
    if not keys:
        return frozenset()
    query = select(ChannelAccount.key).where(
        ChannelAccount.key.in_(sorted(keys)), ChannelAccount.kind.in_(sorted(PRIVATE_KINDS))
    )
    return frozenset(session.scalars(query))


_JSON_COLUMNS = frozenset(
    {"subject_ids", "entities", "enrichment_versions", "raw", "intents", "flags"}
)


def _insert_returning_pipelined(
    session: Session, rows: list[dict[str, Any]]
) -> list[tuple[int, int, str]]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING on PostgreSQL, one prepared statement.

    SQLAlchemy batches RETURNING inserts into one huge multi-VALUES statement per page,
    which psycopg re-parses and the server re-plans every time; psycopg's pipelined
    ``executemany(returning=True)`` sends the same short statement for every row and
    measured several times faster. Rows that conflict return nothing, exactly as before.
    """
    from psycopg.types.json import Jsonb

    columns = list(rows[0])
    sql = (
        f"INSERT INTO interactions ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        "ON CONFLICT (channel_id, external_id) DO NOTHING "
        "RETURNING id, channel_id, external_id"
    )
    params = [
        [Jsonb(r[c]) if c in _JSON_COLUMNS and r[c] is not None else r[c] for c in columns]
        for r in rows
    ]
    driver = session.connection().connection.driver_connection
    out: list[tuple[int, int, str]] = []
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        cursor.executemany(sql, params, returning=True)
        while True:
            out.extend((int(a), int(b), str(c)) for a, b, c in cursor.fetchall())
            if not cursor.nextset():
                break
    return out
