"""INSERT … ON CONFLICT DO NOTHING RETURNING for interactions on SQLite, through the driver.

The ORM's executemany with RETURNING ("insertmanyvalues") runs every column of every row
through its parameter-processing machinery one row at a time; for the 28 columns of an
interaction that was the largest single cost of storing a post on SQLite. Here each
column's own bind processor (the same one SQLAlchemy would apply, so stored values are
identical: JSON text, naive-UTC timestamps, booleans as integers) is looked up once per
batch and applied in a tight loop, and the rows go to ``sqlite3`` as multi-row VALUES
statements sized to the library's bound-parameter limit. It runs on the session's own
connection, so it is part of the caller's transaction like every other statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from groundswell.crm.lookup import INTERACTIONS

_FALLBACK_VARIABLES = 999
"""SQLite's historical default limit of bound parameters per statement."""


def _variable_limit(driver: Any) -> int:
    getlimit = getattr(driver, "getlimit", None)
    if getlimit is None:
        return _FALLBACK_VARIABLES
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def insert_returning_sqlite(
    session: Session, rows: list[dict[str, Any]]
) -> list[tuple[int, int, str]]:
    """Insert ``rows`` (all with the same keys); returns (id, channel_id, external_id) of
    the rows really inserted: a row whose key already exists returns nothing."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    processors: list[Callable[[Any], Any] | None] = [
        INTERACTIONS.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    params = [
        [
            value if proc is None else proc(value)
            for value, proc in zip([row[name] for name in columns], processors, strict=True)
        ]
        for row in rows
    ]
    driver = session.connection().connection.driver_connection
    per_statement = max(1, min(500, _variable_limit(driver) // len(columns)))
    one_row = f"({', '.join(['?'] * len(columns))})"
    head = f"INSERT INTO interactions ({', '.join(columns)}) VALUES "
    tail = " ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id, channel_id, external_id"
    out: list[tuple[int, int, str]] = []
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(params), per_statement):
            part = params[start : start + per_statement]
            sql = head + ", ".join([one_row] * len(part)) + tail
            cursor.execute(sql, [value for row in part for value in row])
            out.extend((int(a), int(b), str(c)) for a, b, c in cursor.fetchall())
    finally:
        cursor.close()
    return out
