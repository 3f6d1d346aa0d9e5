"""The remember stage's SQLite writers, before and after, side by side in one run.

Stores the same 10,000 airline posts (20 batches of 500, each in its own write
transaction, as the process stage does) into fresh migrated SQLite files, alternating
two configurations three times:

- *before*: interactions inserted through SQLAlchemy's executemany with RETURNING, and
  timestamps formatted by the SQLite dialect's own writer;
- *after*: the driver-level insert (``crm.sqlite_insert``) and the ``isoformat`` writer
  of ``core.base.UTCDateTime``, which store byte-identical rows.

Enrichment is fixed per post and not timed: this isolates the database side of storing a
post. Command: ``python -m bench.remember_stage``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.dialects import sqlite

from bench import machine
from bench.common import bench_settings, fresh_sqlite
from bench.data import DEFAULT_SOURCE, load_base_posts, replicate
from groundswell.core import base
from groundswell.core.db import Database
from groundswell.crm import remember
from groundswell.crm.channels_cache import ChannelIds
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost

POSTS = 10_000
BATCH = 500
ROUNDS = 3


@contextmanager
def before() -> Iterator[None]:
    """The writers as they were: the ORM insert and the dialect's datetime formatting."""
    names = vars(remember)
    saved_insert = names["insert_returning_sqlite"]
    saved_writer = base._SQLiteDateTime.bind_processor
    names["insert_returning_sqlite"] = remember.insert_returning_orm
    base._SQLiteDateTime.bind_processor = sqlite.DATETIME.bind_processor  # type: ignore[method-assign]
    try:
        yield
    finally:
        names["insert_returning_sqlite"] = saved_insert
        base._SQLiteDateTime.bind_processor = saved_writer  # type: ignore[method-assign]


@contextmanager
def after() -> Iterator[None]:
    yield


def enrichment_of(post: InboundPost) -> Enrichment:
    negative = "delay" in post.text or "cancel" in post.text
    return Enrichment(
        language=Language("en", 0.95),
        sentiment=Sentiment(-0.6 if negative else 0.1, "negative" if negative else "neutral"),
        entities=Entities(),
        influence=1.0,
        subject_ids=(),
        intent="complaint" if negative else None,
        intents={"complaint": 0.9} if negative else {},
        versions={"sentiment": "bench", "language": "bench"},
    )


def store_all(url: str, batches: list[list[tuple[InboundPost, Enrichment]]]) -> float:
    db = Database(bench_settings(url))
    channels = ChannelIds()
    started = time.perf_counter()
    for items in batches:
        with db.session(write=True) as session:
            remember.remember_batch(session, items=items, channels=channels)
    elapsed = time.perf_counter() - started
    db.dispose()
    return elapsed


def main() -> None:
    base_posts = load_base_posts(DEFAULT_SOURCE)
    posts = [post for _, post in replicate(base_posts, POSTS)]
    items = [(post, enrichment_of(post)) for post in posts]
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    times: dict[str, list[float]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(ROUNDS):
            for name, patch in (("before", before), ("after", after)):
                url = fresh_sqlite(Path(tmp) / f"{name}-{round_}.db")
                with patch():
                    times[name].append(store_all(url, batches))
    print(f"Machine: {machine.cpu_model()}, load {machine.load()}, commit {machine.commit()}")
    print(f"{POSTS:,} airline posts, {BATCH} per transaction, {ROUNDS} alternating rounds\n")
    print("| writers | seconds (median) | posts/s | runs (s) |")
    print("|---|---:|---:|---|")
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    for name, runs in times.items():
        shown = " · ".join(f"{r:.2f}" for r in runs)
        print(f"| {name} | {medians[name]:.2f} | {POSTS / medians[name]:,.0f} | {shown} |")
    print(f"\nafter / before: {medians['before'] / medians['after']:.2f}x the rate")


if __name__ == "__main__":
    main()
