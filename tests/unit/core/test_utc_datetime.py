"""UTC timestamps on SQLite: the faster writer stores exactly the dialect's own text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select
from sqlalchemy.dialects import sqlite

from groundswell.core.base import UTCDateTime

VALUES = [
    datetime(2024, 5, 1, 12, 0, 0),
    datetime(2024, 2, 29, 0, 0, 0, 1),
    datetime(1, 1, 1),
    datetime(999, 3, 4, 5, 6, 7, 80),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
]


@pytest.mark.parametrize("value", VALUES)
def test_writer_matches_the_dialects_format(value: datetime) -> None:
    dialect = sqlite.dialect()
    reference = sqlite.DATETIME().bind_processor(dialect)  # type: ignore[no-untyped-call]
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert reference is not None and ours is not None
    assert ours(value.replace(tzinfo=UTC)) == reference(value)


def test_round_trip_converts_to_utc_and_refuses_naive() -> None:
    engine = create_engine("sqlite://")
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime)
    )
    table.metadata.create_all(engine)
    plus_two = timezone(timedelta(hours=2))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"at": datetime(2024, 5, 1, 14, 30, 0, 5, tzinfo=plus_two)}])
        stored: str = conn.exec_driver_sql("SELECT at FROM t").scalar_one()
        back: datetime = conn.execute(select(table.c.at)).scalar_one()
        assert stored == "2024-05-01 12:30:00.000005"
        assert back == datetime(2024, 5, 1, 12, 30, 0, 5, tzinfo=UTC)
        older = conn.execute(
            select(table.c.id).where(table.c.at < datetime(2024, 5, 1, 12, 30, 1, tzinfo=UTC))
        ).all()
        assert len(older) == 1
        with pytest.raises(Exception, match="naive datetime"):
            conn.execute(table.insert(), [{"at": datetime(2024, 5, 1)}])
    engine.dispose()


def test_equal_instants_in_other_zones_are_written_the_same_and_naive_ones_refused() -> None:
    """The writer remembers recent texts by instant: a value equal to one written
    before, in any zone, gives its UTC text; a naive value is never taken for one."""
    dialect = sqlite.dialect()
    write = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert write is not None
    utc = datetime(2024, 5, 1, 12, 0, 0, 7, tzinfo=UTC)
    same = utc.astimezone(timezone(timedelta(hours=-7)))
    assert write(utc) == "2024-05-01 12:00:00.000007"
    assert write(same) == "2024-05-01 12:00:00.000007"
    assert write(same) == write(utc)
    with pytest.raises(ValueError, match="naive datetime"):
        write(datetime(2024, 5, 1, 12, 0, 0, 7))  # same wall time and hash as ``utc``
    for minute in range(20_000):  # many more values than are remembered
        value = utc + timedelta(minutes=minute)
        assert write(value) == value.replace(tzinfo=None).isoformat(" ", "microseconds")
