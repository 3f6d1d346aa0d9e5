"""Conversations: find or create each post's thread and keep thread facts current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.orm import Session

from groundswell.core.executemany import execute_many
from groundswell.core.upsert import chunks, dialect_insert
from groundswell.crm.linking import IdentityRow
from groundswell.crm.lookup import CHUNK, CONVERSATIONS, by_channel, rows_in
from groundswell.crm.models import Conversation, Interaction
from groundswell.crm.threading import Key, assign_threads
from groundswell.enrichment.base import Enrichment
from groundswell.ingestion.schemas import InboundPost


@dataclass(slots=True)
class Conv:
    id: int
    contact_id: int | None


def resolve_conversations(
    session: Session,
    fresh: list[tuple[InboundPost, Enrichment]],
    channel_ids: dict[str, int],
    identities: dict[Key, IdentityRow],
) -> dict[Key, Conv]:
    """Find or create each post's conversation; merge threads whose root arrived late."""
    channel_key = {v: k for k, v in channel_ids.items()}
    parents = by_channel(
        ((p.channel, p.reply_to_external_id) for p, _ in fresh if p.reply_to_external_id),
        channel_ids,
    )
    known: dict[Key, int] = {}
    known_contact: dict[int, int | None] = {}
    for cid, (ext, conv_id) in rows_in(
        session,
        [Interaction.external_id, Interaction.conversation_id],
        scope=Interaction.channel_id,
        key=Interaction.external_id,
        wanted=parents,
        extra=[Interaction.conversation_id.is_not(None)],
    ):
        known[(channel_key[cid], ext)] = conv_id

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
    by_root: dict[tuple[str, str], Conv] = {}
    if root_info:
        values = [root_info[k] for k in sorted(root_info)]
        conv_insert = dialect_insert(session, CONVERSATIONS).on_conflict_do_nothing(
            index_elements=["channel_id", "root_external_id"]
        )
        for part in chunks(values, CHUNK):
            execute_many(session, conv_insert, part)
        for cid, (root, conv_id, contact_id) in rows_in(
            session,
            [Conversation.root_external_id, Conversation.id, Conversation.contact_id],
            scope=Conversation.channel_id,
            key=Conversation.root_external_id,
            wanted=by_channel(root_info, channel_ids),
        ):
            by_root[(channel_key[cid], root)] = Conv(conv_id, contact_id)
    if known:
        conv_ids = sorted(set(known.values()))
        for part in chunks(conv_ids, CHUNK):
            contact_rows = session.execute(
                select(Conversation.id, Conversation.contact_id).where(Conversation.id.in_(part))
            )
            known_contact.update({cid: contact for cid, contact in contact_rows})

    out: dict[Key, Conv] = {}
    last_activity: dict[int, datetime] = {}
    needs_contact: dict[int, int] = {}
    for post, _ in fresh:
        key = (post.channel, post.external_id)
        ref = refs[key]
        if ref.conversation_id is not None:
            conv = Conv(ref.conversation_id, known_contact.get(ref.conversation_id))
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
    conv_table = CONVERSATIONS
    touch = [{"cid": cid, "ts": ts} for cid, ts in sorted(last_activity.items())]
    for part in chunks(touch, CHUNK):
        execute_many(
            session,
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
        execute_many(
            session,
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
    convs: dict[Key, Conv],
) -> None:
    """A reply that arrived before its parent started a thread named after the parent.

    When that parent turns out to be a reply itself, fold the early thread into the
    parent's own thread so the whole exchange reads as one conversation.
    """
    replying = [(p.channel, p.external_id) for p, _ in fresh if p.reply_to_external_id]
    if not replying:
        return
    channel_key = {v: k for k, v in channel_ids.items()}
    orphans = list(
        rows_in(
            session,
            [Conversation.root_external_id, Conversation.id],
            scope=Conversation.channel_id,
            key=Conversation.root_external_id,
            wanted=by_channel(replying, channel_ids),
        )
    )
    for cid, (root, orphan_id) in orphans:
        target = convs[(channel_key[cid], root)]
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
