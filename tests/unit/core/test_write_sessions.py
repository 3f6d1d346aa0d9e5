"""SQLite write sessions hold the write lock from their start.

A deferred transaction that has read (inside a savepoint, as the rules stage does) and
then writes after another writer committed fails with SQLITE_BUSY_SNAPSHOT at once; the
busy timeout does not help. A ``write=True`` session cannot be overtaken that way.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from groundswell.core.db import Database
from groundswell.settings import Settings


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/w.db"))  # type: ignore[call-arg]
    with database.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    return database


def _insert(db: Database, who: str) -> None:
    with db.session() as s:
        s.execute(text("INSERT INTO t (who) VALUES (:w)"), {"w": who})


def test_a_deferred_read_then_write_loses_to_a_concurrent_commit(db: Database) -> None:
    with pytest.raises(OperationalError, match="locked"), db.session() as s, s.begin_nested():
        s.execute(text("SELECT count(*) FROM t")).scalar()
        _insert(db, "other")  # another writer commits after our snapshot
        s.execute(text("INSERT INTO t (who) VALUES ('late')"))
    with db.session() as s:
        assert s.execute(text("SELECT who FROM t")).scalars().all() == ["other"]


def test_a_write_session_waits_for_no_one_and_the_other_writer_waits(db: Database) -> None:
    other = threading.Thread(target=_insert, args=(db, "other"))
    with db.session(write=True) as s, s.begin_nested():
        s.execute(text("SELECT count(*) FROM t")).scalar()
        other.start()  # blocks on the lock this session holds
        s.execute(text("INSERT INTO t (who) VALUES ('first')"))
    other.join(30)
    assert not other.is_alive()
    with db.session() as s:
        assert s.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == [
            "first",
            "other",
        ]


def _hold_the_lock(db: Database) -> None:
    with db.session(write=True) as s:
        s.execute(text("INSERT INTO t (who) VALUES ('slow')"))


def test_a_write_session_that_holds_the_lock_too_long_is_logged_with_its_caller(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import groundswell.core.db as core_db

    with caplog.at_level("WARNING", logger="groundswell.core.db"):
        _hold_the_lock(db)
        assert caplog.records == []  # well under the limit
        monkeypatch.setattr(core_db, "SLOW_WRITE_S", -1.0)
        _hold_the_lock(db)
    [record] = caplog.records
    assert "held the SQLite lock" in record.getMessage()
    assert "_hold_the_lock" in record.getMessage()


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


def test_the_wait_for_the_lock_is_not_counted_as_holding_it(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import groundswell.core.db as core_db

    clock = _Clock()
    monkeypatch.setattr(core_db, "time", clock)
    taken = Database.begin_write

    def after_a_long_wait(self: Database, session: object) -> None:
        clock.now += 10.0  # another writer held the lock all that time
        taken(self, session)  # type: ignore[arg-type]

    monkeypatch.setattr(Database, "begin_write", after_a_long_wait)
    with caplog.at_level("WARNING", logger="groundswell.core.db"):
        with db.session(write=True) as s:
            s.execute(text("INSERT INTO t (who) VALUES ('waited')"))
        assert caplog.records == []
        with db.session(write=True) as s:
            clock.now += 3.0  # this session's own work
            s.execute(text("INSERT INTO t (who) VALUES ('slow')"))
    [record] = caplog.records
    assert "held the SQLite lock for 3.0 s" in record.getMessage()
