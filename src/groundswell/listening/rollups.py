"""Per-minute rollups: aggregation (pure) and the additive upsert.

Only newly inserted inbound interactions are counted, so a redelivered batch adds
nothing. Outbound posts (our own replies) are not what customers say and stay out of
the listening series.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from groundswell.core.clock import floor_minute
from groundswell.core.executemany import execute_many
from groundswell.core.upsert import chunks, dialect_insert
from groundswell.listening.models import ALL_POSTS, MinuteRollup

RollupKey = tuple[datetime, int, int, str]


@dataclass(frozen=True, slots=True)
class RollupInput:
    created_at: datetime
    channel_id: int
    sentiment_label: str
    sentiment_score: float
    subject_ids: tuple[int, ...]


def aggregate(rows: Iterable[RollupInput]) -> dict[RollupKey, tuple[int, float]]:
    acc: dict[RollupKey, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        minute = floor_minute(row.created_at)
        for subject_id in (ALL_POSTS, *row.subject_ids):
            cell = acc[(minute, subject_id, row.channel_id, row.sentiment_label)]
            cell[0] += 1
            cell[1] += row.sentiment_score
    return {k: (int(v[0]), float(v[1])) for k, v in acc.items()}


def add_to_rollups(session: Session, deltas: dict[RollupKey, tuple[int, float]]) -> None:
    """Add counts to the rollup rows, creating them as needed.

    Keys are sorted so concurrent workers lock rows in the same order (no deadlocks).
    """
    if not deltas:
        return
    values = [
        {
            "minute": key[0],
            "subject_id": key[1],
            "channel_id": key[2],
            "sentiment_label": key[3],
            "count": count,
            "sentiment_sum": total,
        }
        for key, (count, total) in sorted(deltas.items())
    ]
    table = MinuteRollup.__table__
    insert = dialect_insert(session, table)
    stmt = insert.on_conflict_do_update(
        index_elements=["minute", "subject_id", "channel_id", "sentiment_label"],
        set_={
            "count": table.c.count + insert.excluded.count,
            "sentiment_sum": table.c.sentiment_sum + insert.excluded.sentiment_sum,
        },
    )
    for part in chunks(values, 1000):
        execute_many(session, stmt, part)
