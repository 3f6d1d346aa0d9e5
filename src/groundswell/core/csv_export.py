"""Streamed CSV of any size: keyset pages in, encoded chunks out, memory flat.

Two things every export needs and should not redo: a spreadsheet must not run a cell as a
formula (a contact named ``=HYPERLINK(...)`` is hostile input), so text cells starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return are prefixed with a single quote (the
OWASP advice); and a large table must not be loaded at once, so rows are read by keyset
pagination (``WHERE key > last ORDER BY key LIMIT n``, which stays fast at any depth where
OFFSET would not) and written in chunks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

DANGEROUS = frozenset("=+-@\t\r")
CHUNK_ROWS = 2000
PAGE_ROWS = 5000

K = TypeVar("K")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs; numbers pass unchanged."""
    kind = type(value)
    if kind is str:
        return "'" + value if value and value[0] in DANGEROUS else value
    if kind is int or kind is float:
        return value
    if kind is datetime:
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    if text and text[0] in DANGEROUS:
        return "'" + text
    return text


def encode_rows(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[bytes]:
    """UTF-8 CSV (with a BOM, so spreadsheet programs read it as UTF-8) in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([safe_cell(h) for h in header])
    n = 0
    write = writer.writerow
    cell = safe_cell
    for row in rows:
        write([cell(v) for v in row])
        n += 1
        if n >= chunk_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            n = 0
    yield buffer.getvalue().encode("utf-8")


def keyset(
    session: Session,
    query: Callable[[K | None], Select[*tuple[Any, ...]]],
    key: Callable[[Any], K],
    *,
    page: int = PAGE_ROWS,
) -> Iterator[Any]:
    """Every row of ``query(after)`` page by page; ``query`` must order by the key and
    keep rows whose key is greater than ``after`` (all rows when it is None)."""
    after: K | None = None
    while True:
        rows = session.execute(query(after).limit(page)).all()
        yield from rows
        if len(rows) < page:
            return
        after = key(rows[-1])
