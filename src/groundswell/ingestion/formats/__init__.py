"""Import formats: files of posts turned into validated ``InboundPost``s, record by record.

``parse_file`` streams a file and yields, for each record, either ``Accepted`` (the post and
where it was) or ``Rejected`` (where, which field, why, and the record as received). A bad
record never stops an import; a file that cannot be read at all raises
``UnreadableFileError`` before the first record, so nothing is half-imported by surprise.
``docs/import-formats.md`` describes each format and its mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from groundswell.ingestion.formats import airline, native, twcs
from groundswell.ingestion.formats.common import (
    PAYLOAD_LIMIT,
    Accepted,
    ParsedRecord,
    Rejected,
    UnreadableFileError,
    count_csv_rows,
    describe_validation_error,
)
from groundswell.ingestion.formats.native import validate_items

__all__ = [
    "FORMATS",
    "PAYLOAD_LIMIT",
    "Accepted",
    "ParsedRecord",
    "Rejected",
    "UnreadableFileError",
    "count_records",
    "describe_validation_error",
    "parse_file",
    "validate_items",
]

FORMATS = ("native", "airline", "twcs")

_Parser = Callable[[Path, dict[str, object] | None], Iterator[ParsedRecord]]
_PARSERS: dict[str, _Parser] = {
    "native": native.parse,
    "airline": airline.parse,
    "twcs": twcs.parse,
}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UnreadableFileError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")


def parse_file(
    path: Path, fmt: str, *, context: dict[str, object] | None = None
) -> Iterator[ParsedRecord]:
    """Stream the records of ``path`` in format ``fmt``, validated with ``context``.

    Raises ``UnreadableFileError`` at once (not on first iteration) for an unknown format, a
    missing or unreadable file, an undecodable header or missing required columns.
    """
    _check_format(fmt)
    return _PARSERS[fmt](Path(path), context)


def count_records(path: Path, fmt: str) -> int:
    """How many records ``parse_file`` will yield, cheaply, for a progress bar's total."""
    _check_format(fmt)
    if fmt == "native":
        return native.count(Path(path))
    return count_csv_rows(Path(path))
