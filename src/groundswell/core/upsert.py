"""Dialect-aware INSERT … ON CONFLICT, the primitive that makes every stage idempotent.

SQLite (3.35+) and PostgreSQL share the same ON CONFLICT syntax, but SQLAlchemy exposes
it per dialect, so callers ask here for the right ``insert`` construct.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Any) -> Any:
    """An ``insert(table)`` that supports ``on_conflict_do_nothing/update``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert support for dialect {name!r}")


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    """Split a list so one statement stays under the engines' bound-parameter limits."""
    return [items[i : i + size] for i in range(0, len(items), size)]
