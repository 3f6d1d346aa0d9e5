"""``core.executemany``: on SQLite the driver's executemany stores what SQLAlchemy's does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from groundswell.core import executemany
from groundswell.core.base import UTCDateTime
from groundswell.core.db import Database
from groundswell.core.executemany import execute_many
from groundswell.crm import conversations, linking, remember
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.remember import remember_batch
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening import rollups
from groundswell.listening.models import Subject
from gs_testing import make_settings, migrated_sqlite_url

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
USERS = (remember, conversations, linking, rollups)
NOW_COLUMNS = {"created_at", "updated_at", "ingested_at"}
"""Columns set to the time of storing; the two runs differ there and nowhere else."""
TABLES = (
    "identities",
    "contacts",
    "contact_keys",
    "conversations",
    "interactions",
    "interaction_subjects",
    "minute_rollups",
)


def _post(i: int, prefix: str, reply_to: str | None = None) -> InboundPost:
    return InboundPost.model_validate(
        {
            "channel": "twitter" if i % 3 else "email",
            "external_id": f"{prefix}{i}",
            "direction": "out" if i % 7 == 0 else "in",
            "text": f"caf\u00e9 \U0001f600 '; DROP TABLE x; -- {i}",
            "created_at": (T0 + timedelta(seconds=37 * i)).isoformat(),
            "author": {
                "external_id": f"a{i % 11}",
                "handle": f"h{i % 11}{prefix}",
                "followers": i,
                "verified": i % 2 == 0,
            },
            "reply_to_external_id": reply_to,
            "private": i % 5 == 0,
            "raw": {"n": i, "t": "\u00fc"},
        }
    )


def _items(count: int, prefix: str, subjects: tuple[int, ...]) -> list[tuple[InboundPost, Any]]:
    out = []
    for i in range(count):
        reply_to = f"p{i - 1}" if prefix == "q" and i % 4 == 0 and i > 0 else None
        enrichment = Enrichment(
            language=Language("en", 0.9),
            sentiment=Sentiment(-0.25 * (i % 5), "negative" if i % 2 else "neutral", 0.75),
            entities=Entities(emails=(f"x{i % 13}@example.com",) if i % 6 == 0 else ()),
            influence=0.5 * i,
            subject_ids=subjects if i % 2 else subjects[:1],
            intent="complaint" if i % 2 else None,
            intents={"complaint": 0.8} if i % 2 else {},
            versions={"sentiment": "test"},
        )
        out.append((_post(i, prefix, reply_to), enrichment))
    return out


def _subjects(db: Database) -> tuple[int, ...]:
    with db.session() as session:
        rows = [Subject(name=f"s{i}", query=f"q{i}") for i in range(2)]
        session.add_all(rows)
        session.flush()
        return tuple(row.id for row in rows)


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with db.engine.connect() as conn:
        for table in TABLES:
            rows = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2").mappings().all()
            out[table] = [tuple(v for k, v in row.items() if k not in NOW_COLUMNS) for row in rows]
    return out


def _store(db: Database, subjects: tuple[int, ...]) -> None:
    for batch in (_items(120, "p", subjects), _items(90, "q", subjects)):
        with db.session(write=True) as session:
            remember_batch(session, items=batch, channels=ChannelIds())


def _through_sqlalchemy(session: Session, statement: Any, rows: Any) -> None:
    session.execute(statement, list(rows))


def test_the_store_stage_writes_the_same_rows_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two batches (new identities, profile updates, contact keys, replies into known
    conversations, rollups that conflict and add up) give identical tables."""
    fast = Database(make_settings(migrated_sqlite_url(tmp_path / "fast.db")))
    slow = Database(make_settings(migrated_sqlite_url(tmp_path / "slow.db")))
    _store(fast, _subjects(fast))
    with monkeypatch.context() as patch:
        for module in USERS:
            patch.setattr(module, "execute_many", _through_sqlalchemy)
        _store(slow, _subjects(slow))
    fast_rows, slow_rows = _dump(fast), _dump(slow)
    for table in TABLES:
        assert fast_rows[table], table
        assert fast_rows[table] == slow_rows[table], table
    # the rollups really added up on conflict: 210 inbound and outbound posts counted
    with fast.engine.connect() as conn:
        total = conn.exec_driver_sql(
            "SELECT sum(count) FROM minute_rollups WHERE subject_id = 0"
        ).scalar()
    assert total is not None and total > 0
    fast.dispose()
    slow.dispose()


META = MetaData()
THINGS = Table(
    "things",
    META,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("at", UTCDateTime()),
    Column("flag", Boolean),
    Column("doc", JSON),
    Column("plain_at", DateTime),
)
DEFAULTED = Table(
    "defaulted",
    META,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("stamp", String(20), default=lambda: "made"),
)


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    eng = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    META.create_all(eng)
    yield eng
    eng.dispose()


def _rows(n: int) -> list[dict[str, Any]]:
    est = timezone(timedelta(hours=-5))
    return [
        {
            "id": i + 1,
            "name": f"n{i}",
            "at": (T0 + timedelta(minutes=i)).astimezone(est if i % 2 else UTC),
            "flag": i % 2 == 0,
            "doc": {"i": i, "u": "\u00fc"} if i % 3 else None,
            "plain_at": datetime(2024, 1, 1) + timedelta(hours=i),
        }
        for i in range(n)
    ]


def test_values_are_processed_as_sqlalchemy_processes_them(engine: Any) -> None:
    rows = _rows(7)
    with Session(engine) as session:
        execute_many(session, insert(THINGS), rows)
        session.commit()
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT * FROM things ORDER BY id").all()
        conn.execute(THINGS.delete())
        conn.execute(insert(THINGS), rows)
        expected = conn.exec_driver_sql("SELECT * FROM things ORDER BY id").all()
        back = conn.execute(select(THINGS.c.at).order_by(THINGS.c.id)).scalars().all()
    assert raw == expected
    assert raw[1][2] == "2024-05-01 12:01:00.123456"  # UTC text from a -05:00 value
    assert back == [T0 + timedelta(minutes=i) for i in range(7)]


def test_repeated_and_fixed_parameters(engine: Any) -> None:
    with Session(engine) as session:
        execute_many(session, insert(THINGS), _rows(4))
        stmt = (
            update(THINGS)
            .where(THINGS.c.id == bindparam("key"), THINGS.c.at < bindparam("t"))
            .values(at=bindparam("t"), name="fixed")
        )
        later = T0 + timedelta(days=1)
        execute_many(session, stmt, [{"key": 1, "t": later}, {"key": 2, "t": T0}])
        session.commit()
        got = session.execute(select(THINGS.c.name, THINGS.c.at).order_by(THINGS.c.id)).all()
    assert got[0] == ("fixed", later)
    assert got[1] == ("n1", T0 + timedelta(minutes=1))  # not earlier: untouched


def test_what_the_driver_loop_does_not_do_goes_through_sqlalchemy(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    driven: list[str] = []
    original = executemany._params

    def counting(plan: Any, rows: Any) -> Any:
        driven.append("driver")
        return original(plan, rows)

    monkeypatch.setattr(executemany, "_params", counting)
    with Session(engine) as session:
        execute_many(session, insert(DEFAULTED), [{"name": "a"}, {"name": "b"}])
        execute_many(session, insert(THINGS), [{"id": 1, "name": "x"}])
        session.commit()
        stamps = list(session.execute(select(DEFAULTED.c.stamp)).scalars())
    assert stamps == ["made", "made"]  # the Python-side default was applied
    assert driven == ["driver"]  # only the second statement went to the driver


def test_inside_the_callers_transaction(engine: Any) -> None:
    with Session(engine) as session:
        execute_many(session, insert(THINGS), _rows(3))
        session.rollback()
        assert session.execute(select(THINGS.c.id)).all() == []


def test_nothing_to_do(engine: Any) -> None:
    with Session(engine) as session:
        execute_many(session, insert(THINGS), [])
        assert session.execute(select(THINGS.c.id)).all() == []


def test_postgresql_keeps_sqlalchemys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []

    class Fake:
        def get_bind(self) -> Any:
            return replace_dialect

        def execute(self, statement: Any, rows: Any) -> None:
            calls.append(rows)

    class Bind:
        class dialect:
            name = "postgresql"

    replace_dialect = Bind()
    execute_many(Fake(), insert(THINGS), [{"id": 1}])  # type: ignore[arg-type]
    assert calls == [[{"id": 1}]]
