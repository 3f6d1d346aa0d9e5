"""The raw bulk-insert ceiling: the same interactions rows, put in the plainest fast way.

Every row carries all the columns the remember stage writes, with the same values
(enrichment computed beforehand, one identity per author per copy, one contact per
identity, one conversation per post, as the pipeline makes them for the airline posts,
which have no replies). Identities, contacts and conversations are created before the
clock starts so the foreign keys hold; the timed part is only SQLAlchemy Core
``executemany`` of the interactions in chunks of ``CHUNK`` rows, one transaction each,
into the same migrated schema with the same indexes. Whatever the pipeline does beyond
that (deduplication, identity resolution, threading, rollups, enrichment, the broker)
is what the ratio end-to-end / ceiling prices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from bench.data import replicate
from groundswell.channels.models import Channel
from groundswell.core.clock import utcnow
from groundswell.core.db import make_engine
from groundswell.crm.models import Contact, Conversation, Identity, Interaction
from groundswell.enrichment.base import Enrichment
from groundswell.ingestion.schemas import InboundPost

CHUNK = 10_000
SETUP_CHUNK = 5_000


@dataclass
class CeilingRun:
    rows: int
    seconds: float
    chunk: int


def _chunks(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def raw_insert_ceiling(
    url: str, base: list[InboundPost], enrichments: list[Enrichment], n: int
) -> CeilingRun:
    """Insert ``n`` interactions rows into the fresh, migrated database at ``url``."""
    enrichment_of = {p.external_id: e for p, e in zip(base, enrichments, strict=True)}
    engine = make_engine(url)
    now = utcnow()
    identity_ids: dict[str, int] = {}
    identities: list[dict[str, Any]] = []
    conversations: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    with engine.begin() as conn:
        conn.execute(insert(Channel).values(key="twitter", name="X / Twitter"))
        channel_id = int(conn.scalar(select(Channel.id).where(Channel.key == "twitter")) or 0)
    for _, post in replicate(base, n):
        author = post.author
        identity_id = identity_ids.get(author.external_id)
        if identity_id is None:
            identity_id = identity_ids[author.external_id] = len(identity_ids) + 1
            identities.append(
                {
                    "id": identity_id,
                    "platform": post.channel,
                    "external_id": author.external_id,
                    "handle": author.handle,
                    "display_name": author.display_name,
                    "followers": author.followers,
                    "verified": author.verified,
                    "profile_url": author.profile_url,
                    "is_brand": False,
                    "contact_id": identity_id,
                    "linked_by": "new",
                    "first_seen": post.created_at,
                    "last_seen": post.created_at,
                }
            )
        conversation_id = len(conversations) + 1
        conversations.append(
            {
                "id": conversation_id,
                "channel_id": channel_id,
                "root_external_id": post.external_id,
                "contact_id": identity_id,
                "started_at": post.created_at,
                "last_activity_at": post.created_at,
            }
        )
        enrichment = enrichment_of[post.external_id.rsplit("-", 1)[0]]
        rows.append(
            {
                "channel_id": channel_id,
                "external_id": post.external_id,
                "direction": post.direction,
                "identity_id": identity_id,
                "contact_id": identity_id,
                "conversation_id": conversation_id,
                "text": post.text,
                "created_at": post.created_at,
                "ingested_at": now,
                "url": post.url,
                "reply_to_external_id": post.reply_to_external_id,
                "likes": post.engagement.likes,
                "shares": post.engagement.shares,
                "replies": post.engagement.replies,
                "language": enrichment.language.code,
                "sentiment_score": enrichment.sentiment.score,
                "sentiment_label": enrichment.sentiment.label,
                "intent": enrichment.intent,
                "subject_ids": list(enrichment.subject_ids),
                "entities": enrichment.entities.as_dict(),
                "influence": enrichment.influence,
                "enrichment_versions": enrichment.versions,
                "raw": post.raw,
            }
        )
    contacts = [
        {
            "id": i["id"],
            "display_name": i["display_name"] or i["external_id"],
            "created_at": now,
            "updated_at": now,
        }
        for i in identities
    ]
    for table, values in (
        (Contact.__table__, contacts),
        (Identity.__table__, identities),
        (Conversation.__table__, conversations),
    ):
        for part in _chunks(values, SETUP_CHUNK):
            with engine.begin() as conn:
                conn.execute(insert(table), part)

    table = Interaction.__table__
    started = time.perf_counter()
    for part in _chunks(rows, CHUNK):
        with engine.begin() as conn:
            conn.execute(insert(table), part)
    seconds = time.perf_counter() - started
    engine.dispose()
    return CeilingRun(rows=len(rows), seconds=seconds, chunk=CHUNK)
