"""Re-match stored history against one subject's query: links, rollups, ``subject_ids``.

A subject created today should still chart last month, and an edited query must stop
counting what it no longer matches. The backfill first resets the subject (its links and
rollup rows go, in one short transaction), then walks every stored interaction by id in
batches, one transaction each. Per batch it compares what the query matches now with the
links that exist (a worker may have linked new posts meanwhile) and applies only the
difference, to links, rollups and the ``subject_ids`` column together. So the invariant
"a subject's rollups are the sum over its linked inbound posts" holds after every batch,
nothing is counted twice, and running it again changes nothing.

A worker re-reads subjects every few seconds, so posts it stores in that window after an
edit may follow the old query; running the backfill again corrects them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from groundswell.core.clock import floor_minute
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.lookup import INTERACTION_SUBJECTS, INTERACTIONS
from groundswell.crm.models import Interaction, InteractionSubject
from groundswell.enrichment.pipeline import MAX_TEXT_CHARS
from groundswell.enrichment.query import Query, QuerySyntaxError, parse_query, tokenize_post
from groundswell.listening.models import MinuteRollup, Subject
from groundswell.listening.rollups import RollupKey, add_to_rollups

BATCH_SIZE = 2000
Progress = Callable[[int, int], None]
"""Called after each batch with (interactions scanned, interactions to scan)."""


class BackfillCancelled(Exception):
    """A newer backfill of the same subject replaced this one."""


@dataclass
class BackfillCounts:
    scanned: int = 0
    matched: int = 0
    linked: int = 0
    unlinked: int = 0

    def add(self, other: BackfillCounts) -> None:
        self.scanned += other.scanned
        self.matched += other.matched
        self.linked += other.linked
        self.unlinked += other.unlinked


def compile_subject(session: Session, subject_id: int) -> Query:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFoundError("subject", subject_id)
    try:
        return parse_query(subject.query)
    except QuerySyntaxError as exc:
        raise InvalidInputError(f"stored query does not parse: {exc}", field="query") from exc


def reset_subject(session: Session, *, subject_id: int) -> None:
    """Remove the subject's links and rollup rows.

    On PostgreSQL the rollup table is locked first (blocking only writers, briefly): any
    worker transaction that already added to the subject's rollups has then committed, so
    its links are visible and deleted with them; one that has not waits and adds its
    rows after ours, together with its links. Either way links and rollups agree.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE minute_rollups IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(delete(InteractionSubject).where(InteractionSubject.subject_id == subject_id))
    session.execute(delete(MinuteRollup).where(MinuteRollup.subject_id == subject_id))


def backfill_batch(
    session: Session, *, subject_id: int, query: Query, after_id: int, limit: int = BATCH_SIZE
) -> tuple[int | None, BackfillCounts]:
    """Re-match the next ``limit`` interactions after ``after_id``; returns the last id
    seen (None when there were none) and what changed."""
    rows = session.execute(
        select(
            Interaction.id,
            Interaction.text,
            Interaction.direction,
            Interaction.channel_id,
            Interaction.created_at,
            Interaction.sentiment_label,
            Interaction.sentiment_score,
            Interaction.subject_ids,
        )
        .where(Interaction.id > after_id)
        .order_by(Interaction.id)
        .limit(limit)
    ).all()
    if not rows:
        return None, BackfillCounts()
    first, last = int(rows[0][0]), int(rows[-1][0])
    linked = set(
        session.scalars(
            select(InteractionSubject.interaction_id).where(
                InteractionSubject.subject_id == subject_id,
                InteractionSubject.interaction_id.between(first, last),
            )
        )
    )
    counts = BackfillCounts(scanned=len(rows))
    add_links: list[dict[str, int]] = []
    drop_links: list[int] = []
    new_json: list[dict[str, Any]] = []
    deltas: dict[RollupKey, list[float]] = defaultdict(lambda: [0, 0.0])
    for iid, body, direction, channel_id, created_at, label, score, current in rows:
        matched = query.matches(tokenize_post((body or "")[:MAX_TEXT_CHARS]))
        counts.matched += matched
        ids = [int(i) for i in (current or [])]
        if matched != (subject_id in ids):
            wanted = sorted({*ids, subject_id}) if matched else [i for i in ids if i != subject_id]
            new_json.append({"row_id": iid, "ids": wanted})
        was_linked = iid in linked
        if matched == was_linked:
            continue
        sign = 1 if matched else -1
        if matched:
            add_links.append({"interaction_id": iid, "subject_id": subject_id})
        else:
            drop_links.append(iid)
        if direction == "in":
            cell = deltas[(floor_minute(created_at), subject_id, channel_id, label or "neutral")]
            cell[0] += sign
            cell[1] += sign * float(score or 0.0)
    _apply(session, subject_id, add_links, drop_links, new_json)
    add_to_rollups(session, {k: (int(v[0]), float(v[1])) for k, v in deltas.items() if v[0]})
    counts.linked, counts.unlinked = len(add_links), len(drop_links)
    return last, counts


def _apply(
    session: Session,
    subject_id: int,
    add_links: list[dict[str, int]],
    drop_links: list[int],
    new_json: list[dict[str, Any]],
) -> None:
    if add_links:
        session.execute(INTERACTION_SUBJECTS.insert(), add_links)
    if drop_links:
        session.execute(
            delete(InteractionSubject).where(
                InteractionSubject.subject_id == subject_id,
                InteractionSubject.interaction_id.in_(drop_links),
            )
        )
    if new_json:
        table = INTERACTIONS
        stmt = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(subject_ids=bindparam("ids", type_=table.c.subject_ids.type))
        )
        session.connection().execute(stmt, new_json)


def drop_empty_rollups(session: Session, *, subject_id: int) -> None:
    """Rows whose count went to zero carry nothing; removing them keeps scans short."""
    session.execute(
        delete(MinuteRollup).where(MinuteRollup.subject_id == subject_id, MinuteRollup.count <= 0)
    )


def run_backfill(
    db: Database,
    *,
    subject_id: int,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BackfillCounts:
    """Reset then re-match all stored interactions, one transaction per batch.

    Owns its transactions like a worker does (the caller is a command or a background
    job, never a request's session).
    """
    with db.session() as session:
        query = compile_subject(session, subject_id)
        total = int(session.scalar(select(func.count()).select_from(Interaction)) or 0)
        reset_subject(session, subject_id=subject_id)
    counts = BackfillCounts()
    after_id = 0
    if progress is not None:
        progress(0, total)
    while True:
        if should_stop is not None and should_stop():
            raise BackfillCancelled(f"backfill of subject {subject_id} replaced")
        with db.session() as session:
            if session.get(Subject, subject_id) is None:
                raise NotFoundError("subject", subject_id)
            last, batch = backfill_batch(
                session, subject_id=subject_id, query=query, after_id=after_id, limit=batch_size
            )
        if last is None:
            break
        after_id = last
        counts.add(batch)
        if progress is not None:
            progress(min(counts.scanned, max(total, counts.scanned)), max(total, counts.scanned))
    with db.session() as session:
        drop_empty_rollups(session, subject_id=subject_id)
    return counts
