"""Retention: how long each class of data is kept, and the purge that applies it.

Classes: ``private`` (private messages: email, SMS, chat, DMs, by each message's flag), ``public``
(public posts), ``dead_letters`` (refused records, which may hold raw personal data).
A class without a limit is kept. Per-minute rollups are counts, not personal data, and
are never purged, so dashboards keep their history.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.orm import Session

from groundswell.all_models import load_all_models
from groundswell.channels.models import Channel
from groundswell.core.clock import utcnow
from groundswell.crm.consent import PRIVATE_CHANNELS
from groundswell.crm.models import Interaction
from groundswell.ingestion.models import RejectedRecord

CHUNK = 1000


def _dependants() -> list[tuple[Table, str]]:
    """Rows hanging off an interaction (subject links, corrections…), found by foreign key."""
    return [
        (table, fk.parent.name)
        for table in load_all_models().metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "interactions" and table.name != "interactions"
    ]


def _purge_interactions(session: Session, *, private: bool, days: int) -> int:
    cutoff = utcnow() - timedelta(days=days)
    private_keys = select(Channel.id).where(Channel.key.in_(PRIVATE_CHANNELS))
    is_private = or_(Interaction.private.is_(True), Interaction.channel_id.in_(private_keys))
    total = 0
    while True:
        ids = list(
            session.scalars(
                select(Interaction.id)
                .where(Interaction.created_at < cutoff, is_private if private else ~is_private)
                .limit(CHUNK)
            )
        )
        if not ids:
            return total
        for table, column in _dependants():
            session.execute(delete(table).where(table.c[column].in_(ids)))
        session.execute(delete(Interaction).where(Interaction.id.in_(ids)))
        total += len(ids)


def purge(
    session: Session,
    *,
    private_days: int | None,
    public_days: int | None,
    dead_letter_days: int | None,
) -> dict[str, int]:
    """Delete what is older than its class's limit; returns rows deleted per class."""
    out = {"private": 0, "public": 0, "dead_letters": 0}
    if private_days is not None:
        out["private"] = _purge_interactions(session, private=True, days=private_days)
    if public_days is not None:
        out["public"] = _purge_interactions(session, private=False, days=public_days)
    if dead_letter_days is not None:
        cutoff = utcnow() - timedelta(days=dead_letter_days)
        result = session.execute(delete(RejectedRecord).where(RejectedRecord.created_at < cutoff))
        out["dead_letters"] = result.rowcount or 0  # type: ignore[attr-defined]
    return out
