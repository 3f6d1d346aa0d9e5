"""Engine and session factory for SQLite (embedded) and PostgreSQL (production).

SQLite runs in WAL mode with ``synchronous=NORMAL`` so the web app can read while a
worker writes, and a busy timeout so short write contention waits instead of failing.

A session opened with ``write=True`` begins ``IMMEDIATE`` on SQLite: it takes the write
lock up front. A deferred transaction that reads and then writes fails at once with
SQLITE_BUSY_SNAPSHOT when another writer committed in between (WAL mode; the busy timeout
does not retry that), so the embedded demo's pipeline, rules stage, connectors and
customer-record loop would lose work to "database is locked". Read-only work keeps
deferred transactions so it never waits for a writer. PostgreSQL ignores the option.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from groundswell.settings import Settings

log = logging.getLogger(__name__)

SLOW_WRITE_S = 2.0
"""A write session that holds SQLite's lock longer than this is logged with its caller:
every other writer (a login, a reply) waits that long, up to the busy timeout."""


def json_text(value: Any) -> str:
    """How JSON columns are written: orjson's compact text, not the standard library's.

    Every stored post writes six JSON values (raw, entities, versions and more); the
    standard encoder, a Python loop over each value, was a measurable share of storing
    one. Any JSON reader reads both forms, so rows written before read the same.
    Non-string keys are written as strings, as the standard library does.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", json_text)
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(database_url, **kwargs)


class Database:
    """An engine plus its session factory; one per process."""

    def __init__(self, settings: Settings, **engine_kwargs: Any) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error.

        Services never commit; this context (owned by a route, worker or command) does.
        ``write=True`` for work that reads and then writes while other writers run: on
        SQLite it holds the write lock from the start (never open another ``write``
        session inside one in the same thread: the inner one would wait for the outer).
        """
        session = self.sessionmaker()
        started = time.monotonic()
        try:
            if write:
                self.begin_write(session)
                # Held from when it was taken: the wait for another writer is that
                # writer's hold, logged by it, not this one's.
                started = time.monotonic()
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if write and self.dialect == "sqlite":
                held = time.monotonic() - started
                if held > SLOW_WRITE_S:
                    caller = traceback.extract_stack(limit=3)[0]
                    log.warning(
                        "a write session held the SQLite lock for %.1f s (%s:%d %s)",
                        held,
                        caller.filename.rsplit("/", 1)[-1],
                        caller.lineno,
                        caller.name,
                    )

    def begin_write(self, session: Session) -> None:
        """Take SQLite's write lock for the session's (new) transaction; PostgreSQL: no-op.

        The driver begins lazily, at the first write, so this explicit BEGIN is the
        transaction it later commits or rolls back. Call it again after a rollback.
        """
        if self.dialect == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")

    def dispose(self) -> None:
        self.engine.dispose()
