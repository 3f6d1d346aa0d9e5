"""One DML statement for many rows; on SQLite, the rows go to the driver's executemany.

SQLAlchemy's executemany builds a parameter dictionary for every row and passes each
value through its type's processor one call at a time
(``DefaultExecutionContext._init_compiled``). Storing a batch runs a dozen such
statements (conversations, identities, contact keys, minute rollups); on SQLite that
bookkeeping was about half of their time, more than SQLite's own work. Here SQLAlchemy
still compiles the statement (the same SQL text) and supplies each parameter's processor
(the same stored values: naive-UTC timestamps, JSON text, booleans as integers); only the
loop over rows is ours, and ``sqlite3`` runs the statement once per row in C.

It runs on the session's own connection, inside the caller's transaction. Anything this
loop does not reproduce goes through ``Session.execute`` instead: other databases
(psycopg pipelines executemany itself), statements whose columns get Python-side
defaults or ``onupdate`` values, expanding ``IN`` parameters and parameters the rows do
not carry and the statement does not fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any]


class _Unsupported(Exception):
    """The compiled statement needs something only SQLAlchemy's own path does."""


def execute_many(
    session: Session, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run ``statement`` once per row (all rows with the same keys), results discarded."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        session.execute(statement, list(rows))
        return
    try:
        sql, plan = _plan(statement, dialect, list(rows[0]))
    except _Unsupported:
        session.execute(statement, list(rows))
        return
    params = _params(plan, rows)
    driver = session.connection().connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def _params(
    plan: list[tuple[str | None, Processor | None, Any]], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """Each row's parameters in the statement's order, processed."""
    if any(key is None for key, _, _ in plan):
        return [
            tuple(
                [
                    fixed if key is None else (row[key] if proc is None else proc(row[key]))
                    for key, proc, fixed in plan
                ]
            )
            for row in rows
        ]
    keys = [key for key, _, _ in plan if key is not None]
    procs = [proc for _, proc, _ in plan]
    if len(keys) == 1:
        (key,), (proc,) = keys, procs
        return [(row[key] if proc is None else proc(row[key]),) for row in rows]
    get = itemgetter(*keys)
    if all(proc is None for proc in procs):
        return [get(row) for row in rows]
    return [
        tuple([v if p is None else p(v) for v, p in zip(get(row), procs, strict=True)])
        for row in rows
    ]


def _plan(
    statement: UpdateBase, dialect: Any, keys: list[str]
) -> tuple[str, list[tuple[str | None, Processor | None, Any]]]:
    """The SQL text and, per positional parameter: the row key and its processor, or
    (None, None, value) for a value the statement itself fixes."""
    compiled = statement.compile(dialect=dialect, column_keys=keys, for_executemany=True)
    if compiled.insert_prefetch or compiled.update_prefetch or not compiled.positional:
        raise _Unsupported
    names = compiled.positiontup
    if names is None:
        raise _Unsupported
    known = set(keys)
    plan: list[tuple[str | None, Processor | None, Any]] = []
    for name in names:
        bind = compiled.binds[name]
        if bind.expanding:
            raise _Unsupported
        proc: Processor | None = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in known:
            plan.append((name, proc, None))
            continue
        if bind.callable is not None or bind.required:
            raise _Unsupported
        value = bind.value
        plan.append((None, None, value if proc is None else proc(value)))
    return compiled.string, plan
