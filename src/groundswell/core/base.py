"""Declarative base shared by every domain's models.

A naming convention keeps constraint names identical on SQLite and PostgreSQL, so one
Alembic history can alter them on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _SQLiteDateTime(sqlite.DATETIME):
    """SQLite's DATETIME with a cheaper writer that stores the very same text.

    SQLAlchemy formats each value through a ``%``-format over a dict of its fields;
    ``isoformat`` with microseconds yields the identical ``YYYY-MM-DD HH:MM:SS.ffffff``
    (the dialect's default storage format) in one C call. Every stored post writes about
    ten timestamps, so this was a measurable share of storing a post. Reading back is
    the dialect's own parser, unchanged.
    """

    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            return value.isoformat(" ", "microseconds")

        return process


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine.

    SQLite has no timezone type, so values are stored as naive UTC and given their
    tzinfo back on the way out; naive values are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteDateTime())  # type: ignore[no-untyped-call]
        return dialect.type_descriptor(DateTime(timezone=True))

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, one function from an aware datetime to the stored text.

        The same value as ``process_bind_param`` followed by ``_SQLiteDateTime``'s writer
        (both kept for what else calls them), without the second call per value: about
        ten timestamps are written per stored post.
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # Called for every datetime of every row written (about ten per stored post),
        # so the usual case, already in UTC, takes no conversion.
        if value is None:
            return None
        tz = value.tzinfo
        if tz is None:
            raise ValueError("naive datetime given to a UTC column")
        if tz is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_WRITTEN: dict[datetime, str] = {}
"""Texts of timestamps written lately. A stored post's time is written five or six
times (its interaction, its author's first and last seen, its conversation's start and
last activity) and a batch's time of storing once per row; an aware datetime caches its
hash, and equal instants are equal whatever their zone, so they share one text."""
_WRITTEN_LIMIT = 8192


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = _WRITTEN.get(value)
    if text is not None:
        return text
    tz = value.tzinfo
    if tz is None:
        raise ValueError("naive datetime given to a UTC column")
    utc = value if tz is UTC else value.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff+00:00": the first 26 characters are the naive value's
    # text (the year is always four digits), without a copy to drop tzinfo
    text = utc.isoformat(" ", "microseconds")[:26]
    if len(_WRITTEN) >= _WRITTEN_LIMIT:
        _WRITTEN.clear()
    _WRITTEN[value] = text
    return text


JSONType: Any = JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
