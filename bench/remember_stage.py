"""The remember stage's SQLite writers, before and after, side by side in one run.

Stores the same 10,000 airline posts (20 batches of 500, each in its own write
transaction, as the process stage does) into fresh migrated SQLite files, alternating
three configurations three times:

- *ORM writers*: interactions inserted through SQLAlchemy's executemany with RETURNING,
  timestamps formatted by the SQLite dialect's own writer, every other statement through
  SQLAlchemy's executemany;
- *driver insert*: the driver-level insert of interactions (``crm.sqlite_insert``) and
  the ``isoformat`` writer of ``core.base.UTCDateTime``, which store byte-identical rows;
- *driver executemany* (today's): as above, and the other statements of the stage
  (conversations, identities, contact keys, subject links, rollups) given to the
  driver's executemany by ``core.executemany`` (the same SQL and stored values), with
  each timestamp written by one function instead of two, which remembers the texts of
  recent instants (a post's time is written five or six times).

Enrichment is fixed per post and not timed: this isolates the database side of storing a
post. Command: ``python -m bench.remember_stage``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import TypeDecorator
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from bench import machine
from bench.common import bench_settings, fresh_sqlite
from bench.data import DEFAULT_SOURCE, load_base_posts, replicate
from bench.rounds import print_rounds
from groundswell.core import base
from groundswell.core.db import Database
from groundswell.crm import conversations, linking, remember
from groundswell.crm.channels_cache import ChannelIds
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening import rollups

POSTS = 10_000
BATCH = 500
ROUNDS = 3


EXECUTEMANY_USERS = (remember, conversations, linking, rollups)
"""Modules whose statements go through ``core.executemany.execute_many``."""


def _through_sqlalchemy(session: Session, statement: Any, rows: Sequence[Any]) -> None:
    session.execute(statement, list(rows))


@contextmanager
def sqlalchemy_executemany() -> Iterator[None]:
    """Every statement but the interactions insert through SQLAlchemy's executemany, and
    timestamps written in two steps (``process_bind_param``, then the dialect type's
    writer) as ``TypeDecorator`` does."""
    saved = [vars(module)["execute_many"] for module in EXECUTEMANY_USERS]
    saved_timestamps = vars(base.UTCDateTime)["bind_processor"]
    for module in EXECUTEMANY_USERS:
        vars(module)["execute_many"] = _through_sqlalchemy
    base.UTCDateTime.bind_processor = TypeDecorator.bind_processor  # type: ignore[method-assign]
    try:
        yield
    finally:
        for module, original in zip(EXECUTEMANY_USERS, saved, strict=True):
            vars(module)["execute_many"] = original
        base.UTCDateTime.bind_processor = saved_timestamps  # type: ignore[method-assign]


@contextmanager
def orm_writers() -> Iterator[None]:
    """The writers as they were first: the ORM insert, the dialect's datetime formatting
    and SQLAlchemy's executemany for everything."""
    names = vars(remember)
    saved_insert = names["insert_returning_sqlite"]
    saved_writer = base._SQLiteDateTime.bind_processor
    names["insert_returning_sqlite"] = remember.insert_returning_orm
    base._SQLiteDateTime.bind_processor = sqlite.DATETIME.bind_processor  # type: ignore[method-assign]
    try:
        with sqlalchemy_executemany():
            yield
    finally:
        names["insert_returning_sqlite"] = saved_insert
        base._SQLiteDateTime.bind_processor = saved_writer  # type: ignore[method-assign]


@contextmanager
def todays() -> Iterator[None]:
    yield


CONFIGURATIONS = (
    ("ORM writers", orm_writers),
    ("driver insert", sqlalchemy_executemany),
    ("driver executemany", todays),
)


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
    times: dict[str, list[float]] = {name: [] for name, _ in CONFIGURATIONS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(ROUNDS):
            for i, (name, patch) in enumerate(CONFIGURATIONS):
                url = fresh_sqlite(Path(tmp) / f"{i}-{round_}.db")
                with patch():
                    times[name].append(store_all(url, batches))
    print(f"Machine: {machine.cpu_model()}, load {machine.load()}, commit {machine.commit()}")
    print(f"{POSTS:,} airline posts, {BATCH} per transaction, {ROUNDS} alternating rounds\n")
    medians = print_rounds("writers", times, items=POSTS, rate_label="posts/s")
    first, *_, last = (name for name, _ in CONFIGURATIONS)
    previous = CONFIGURATIONS[-2][0]
    print(f"\n{last} / {previous}: {medians[previous] / medians[last]:.2f}x the rate")
    print(f"{last} / {first}: {medians[first] / medians[last]:.2f}x the rate")


if __name__ == "__main__":
    main()
