"""The raw bulk-insert ceiling: the rows the pipeline just wrote, put back the plainest way.

After a pipeline run, every ``interactions`` row it stored is read back (all columns,
the enrichment already computed) and inserted into a fresh database of the same engine
with the same migrated schema and indexes. The rows they point at (channels, contacts,
identities, conversations) are copied first, before the clock starts, so the foreign
keys hold. The timed part is only SQLAlchemy Core ``executemany`` of the interactions in
chunks of ``CHUNK`` rows, one transaction each, ids left to the database as the pipeline
does. Reading the rows back, rather than building them here, keeps the ceiling honest
when the pipeline gains a column: it always inserts exactly what the pipeline stores.
Whatever the pipeline does beyond that insert (deduplication, identity resolution,
threading, rollups, enrichment, the broker) is what the ratio end-to-end / ceiling prices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select

from groundswell.channels.models import Channel
from groundswell.core.db import make_engine
from groundswell.crm.models import Contact, Conversation, Identity, Interaction

CHUNK = 10_000
SETUP_CHUNK = 5_000

REFERENCED = [Channel, Contact, Identity, Conversation]
"""Tables the interactions rows point at, in foreign-key order."""


@dataclass
class CeilingRun:
    rows: int
    seconds: float
    chunk: int


def _read(engine: Engine, table: Table, *, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        return [{k: v for k, v in row.items() if k not in drop} for row in rows]


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]], size: int) -> None:
    for start in range(0, len(rows), size):
        with engine.begin() as conn:
            conn.execute(insert(table), rows[start : start + size])


def raw_insert_ceiling(source_url: str, target_url: str) -> CeilingRun:
    """Re-insert the interactions of ``source_url`` into the fresh database ``target_url``."""
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        for model in REFERENCED:
            table = cast(Table, model.__table__)
            existing = {tuple(r) for r in _keys(target, table)}
            rows = [
                r
                for r in _read(source, table)
                if tuple(r[c.name] for c in table.primary_key.columns) not in existing
            ]
            _insert(target, table, rows, SETUP_CHUNK)
        interactions = cast(Table, Interaction.__table__)
        rows = _read(source, interactions, drop=("id",))
        started = time.perf_counter()
        _insert(target, interactions, rows, CHUNK)
        seconds = time.perf_counter() - started
    finally:
        source.dispose()
        target.dispose()
    return CeilingRun(rows=len(rows), seconds=seconds, chunk=CHUNK)


def _keys(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*table.primary_key.columns))]
