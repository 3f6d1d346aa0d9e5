"""Reading a purchases CSV: each row validated alone, refused by row and field.

Format (docs/import-formats.md, "Transactions"): a header with ``customer_key``, ``date``
(``YYYY-MM-DD`` or ``YYYYMMDD``) and ``amount``, optionally ``external_id``. A row
without ``external_id`` gets ``<file name>:row <n>`` so importing the same file twice
adds nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from groundswell.crm.clv.schemas import TransactionIn

REQUIRED = ("customer_key", "date", "amount")
MAX_FIELD = 10_000

Parsed = tuple[str, TransactionIn | None, str | None, str | None, str]
"""(record ref, transaction or None, field, reason, raw row)."""


class UnreadableTransactionsError(ValueError):
    """The file as a whole cannot be read (no header, wrong columns, not text)."""


def _parse_date(value: str) -> date:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date (YYYY-MM-DD or YYYYMMDD): {value[:40]!r}")


def parse_rows(text: str, *, name: str) -> Iterator[Parsed]:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UnreadableTransactionsError(f"header lacks {', '.join(missing)}")
    reader.fieldnames = header
    for number, row in enumerate(reader, start=2):
        ref = f"row {number}"
        raw = ",".join(str(v) for v in row.values())[:2000]
        if None in row:
            yield ref, None, None, "more fields than the header", raw
            continue
        try:
            day = _parse_date(row.get("date") or "")
        except ValueError as exc:
            yield ref, None, "date", str(exc), raw
            continue
        amount_text = (row.get("amount") or "").strip()
        try:
            amount = float(amount_text)
        except ValueError:
            yield ref, None, "amount", f"not a number: {amount_text[:40]!r}", raw
            continue
        external = (row.get("external_id") or "").strip() or f"{name}:{ref}"
        try:
            item = TransactionIn(
                customer_key=row.get("customer_key") or "",
                date=day,
                amount=amount,
                external_id=external[:200],
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else None
            yield ref, None, field, err["msg"], raw
            continue
        yield ref, item, None, None, raw


def read_file(path: Path) -> Iterator[Parsed]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableTransactionsError(str(exc)) from exc
    return parse_rows(text, name=path.name)
