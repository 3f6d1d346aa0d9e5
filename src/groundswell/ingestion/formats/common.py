"""What every import format shares: the result types, validation, and the byte-level reader.

Each format turns records of a file into ``InboundPost``s one at a time. A bad record becomes
a ``Rejected`` carrying enough to put it in the dead-letter table (which record, which field,
why, and the record as received) and the import carries on; only a file that cannot be read
at all stops it, with ``UnreadableFileError``, before anything is yielded.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import BinaryIO

import orjson
from pydantic import ValidationError

from groundswell.ingestion.schemas import InboundPost

PAYLOAD_LIMIT = 4000
"""Characters of a refused record kept with it: enough to see what went wrong, never a flood."""

_VALUE_ERROR_PREFIX = "Value error, "


@dataclass(frozen=True, slots=True)
class Accepted:
    """A record that passed validation, with where it came from (``line 12``, ``row 7``)."""

    post: InboundPost
    ref: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that did not: which one, which field (when one is to blame), why, and as what.

    ``payload`` is the record's text as received, truncated to ``PAYLOAD_LIMIT`` characters.
    """

    ref: str
    field: str | None
    reason: str
    payload: str | None


ParsedRecord = Accepted | Rejected


class UnreadableFileError(Exception):
    """The whole file is unusable (missing, undecodable header, wrong columns, unknown format).

    Messages leave out the path and read on from it (``"posts.csv: does not exist"``), since
    whoever reports the error knows which file it was given.
    """


class RecordError(Exception):
    """A format's own finding about one record, raised while mapping it and caught by its loop."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def truncate(text: str | None, limit: int = PAYLOAD_LIMIT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + "…"


def field_path(loc: tuple[int | str, ...]) -> str | None:
    """``("author", "followers")`` → ``"author.followers"``; a model-level error has no field."""
    return ".".join(str(part) for part in loc) or None


def describe_validation_error(exc: ValidationError) -> tuple[str | None, str]:
    """The first error's field path and message, saying how many more there were.

    One field per dead letter keeps the table queryable; the count tells the operator that
    fixing this field may not be the end of it.
    """
    errors = exc.errors(include_url=False)
    if not errors:
        return None, str(exc)
    first = errors[0]
    field = field_path(tuple(first["loc"]))
    reason = _error_message(first["type"], str(first["msg"]), first.get("input"))
    if field:
        reason = f"{field} {reason}" if reason[:1].islower() else f"{field}: {reason}"
    others = [field_path(tuple(e["loc"])) or "(record)" for e in errors[1:]]
    if others:
        shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
        noun = "error" if len(others) == 1 else "errors"
        reason += f" (and {len(others)} more {noun}: {shown})"
    return field, reason


def _error_message(kind: str, message: str, value: object) -> str:
    """Our validators' messages read on from the field name; pydantic's get the bad value."""
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if message.startswith(_VALUE_ERROR_PREFIX):
        return message[len(_VALUE_ERROR_PREFIX) :]
    if isinstance(value, str | int | float | bool) or value is None:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "…"
        message += f" (got {shown})"
    return message


def validate(
    data: Mapping[str, object],
    ref: str,
    payload: str | Callable[[], str | None],
    context: dict[str, object] | None,
) -> ParsedRecord:
    """Validate one mapped record into an ``Accepted`` or a ``Rejected`` naming the field.

    A callable ``payload`` is called only for a refusal, so accepted records never pay for
    their text.
    """
    try:
        post = InboundPost.model_validate(data, context=context)
    except ValidationError as exc:
        field, reason = describe_validation_error(exc)
        text = payload if isinstance(payload, str) else payload()
        return Rejected(ref=ref, field=field, reason=reason, payload=truncate(text))
    except (ValueError, ArithmeticError, RecursionError, TypeError) as exc:
        # Validation must never raise past one record: the rest of the batch goes on.
        text = payload if isinstance(payload, str) else payload()
        reason = f"cannot be validated: {type(exc).__name__}"
        return Rejected(ref=ref, field=None, reason=reason, payload=truncate(text))
    return Accepted(post=post, ref=ref)


def loads_json(data: bytes | str) -> object:
    """orjson, or the standard parser for what orjson refuses but JSON allows.

    orjson stops at integers beyond 64 bits; such a number belongs to one field, which
    validation then refuses by name, instead of the record (or a whole API batch) being
    called malformed. Raises ``ValueError`` with orjson's message for JSON that is bad.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as first:
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            raise ValueError(str(first)) from None


def json_payload(item: object) -> str:
    """A decoded JSON value back as text for the dead-letter table."""
    try:
        return orjson.dumps(item).decode()
    except TypeError:
        return repr(item)


def open_binary(path: Path) -> BinaryIO:
    """Open a file for reading or say in one sentence why it cannot be read."""
    try:
        if path.is_dir():
            raise UnreadableFileError("is a directory, not a file")
        return path.open("rb")
    except FileNotFoundError:
        raise UnreadableFileError("does not exist") from None
    except OSError as exc:
        raise UnreadableFileError(f"cannot be read: {exc.strerror or exc}") from None


def utf8_error_reason(line: bytes, file_offset: int) -> str | None:
    """Why ``line`` is not UTF-8, naming the byte offset, or None when it is."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"is not valid UTF-8: byte 0x{line[exc.start]:02x} at offset {exc.start} of the "
            f"record (byte {file_offset + exc.start} of the file)"
        )
    return None


def numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """Yield ``(line number, byte offset, raw line)`` with the newline kept, BOM removed.

    Lines are split on ``\\n`` only: a bare ``\\r`` is data in the files we read (the
    Customer Support on Twitter export has tweets with unquoted ``\\r\\r`` in them).
    """
    offset = 0
    for number, line in enumerate(stream, start=1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            offset = 3
            line = line[3:]
        yield number, offset, line
        offset += len(line)


_CR_STAND_IN = "\ue000"
"""Stands for a bare ``\\r`` while the csv module reads a line, which would end the record."""

_OFFSETS: dict[str, tzinfo] = {}


def utc_offset(text: str) -> tzinfo:
    """``"-0800"`` → a fixed offset; a file has few distinct offsets, so they are cached."""
    tz = _OFFSETS.get(text)
    if tz is None:
        if len(text) != 5 or text[0] not in "+-" or not (text[1:].isascii() and text[1:].isdigit()):
            raise ValueError(f"bad UTC offset {text!r}")
        minutes = int(text[1:3]) * 60 + int(text[3:5])
        tz = timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))
        _OFFSETS[text] = tz
    return tz


def normalise_id(value: str) -> str | None:
    """``" 119237.0 "`` → ``"119237"``; empty → None.

    Exports that went through a dataframe turn integer ids of a column with gaps into floats.
    """
    value = value.strip()
    if not value:
        return None
    whole, dot, fraction = value.partition(".")
    if dot and whole.isdigit() and fraction.strip("0") == "":
        return whole
    return value


def parse_count(value: str, field: str, column: str) -> int:
    """A non-negative count column: empty means 0, ``"3.0"`` means 3."""
    value = value.strip()
    if not value:
        return 0
    whole, dot, fraction = value.partition(".")
    if dot and fraction.strip("0") == "":
        value = whole
    try:
        return int(value)
    except ValueError:
        raise RecordError(
            field, f"column {column} is {truncate(value, 80)!r}, not a whole number"
        ) from None


class CsvSource:
    """A CSV file whose header has been read and checked; its rows are read once, streaming.

    Opening checks everything about the file as a whole, so a caller learns of a wrong file
    before the first record: missing, empty, a header that is not UTF-8, required columns
    absent. Records are then read one line at a time from the binary file, each line decoded
    on its own so one bad byte costs one row, not the file.
    """

    def __init__(self, path: Path, required: Sequence[str] = ()) -> None:
        self._stream = open_binary(path)
        self._buffer: list[str] = []
        self._bad_utf8: str | None = None
        self._has_cr = False
        self._last_line = 0
        self._reader = csv.reader(self._decoded_lines())
        try:
            header = self._read_header()
        except BaseException:
            self._stream.close()
            raise
        self.columns: dict[str, int] = {}
        for index, name in enumerate(header):
            self.columns.setdefault(name.strip(), index)
        self.width = len(header)
        missing = [name for name in required if name not in self.columns]
        if missing:
            self._stream.close()
            found = ", ".join(name.strip() or "(unnamed)" for name in header)
            raise UnreadableFileError(
                f"the header lacks required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (found: {found})"
            )

    def _read_header(self) -> list[str]:
        try:
            for header in self._reader:
                if self._bad_utf8:
                    raise UnreadableFileError(f"the header {self._bad_utf8}")
                if header:
                    return header
        except csv.Error as exc:
            raise UnreadableFileError(f"the header is not valid CSV: {exc}") from None
        raise UnreadableFileError("is empty: expected a header row")

    def _decoded_lines(self) -> Iterator[str]:
        for number, offset, raw in numbered_lines(self._stream):
            self._last_line = number
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                if self._bad_utf8 is None:
                    self._bad_utf8 = utf8_error_reason(raw, offset)
                text = raw.decode("utf-8", "replace")
            if "\r" in text:
                self._has_cr = True
                if text.endswith("\r\n"):
                    text = text[:-2].replace("\r", _CR_STAND_IN) + "\r\n"
                else:
                    text = text.replace("\r", _CR_STAND_IN)
            self._buffer.append(text)
            yield text

    def payload(self) -> str:
        """The current record as it stands in the file, for the dead-letter table."""
        text = "".join(self._buffer).rstrip("\r\n")
        return text.replace(_CR_STAND_IN, "\r") if self._has_cr else text

    def rows(self) -> Iterator[tuple[str, list[str]] | Rejected]:
        """``(ref, values)`` per well-formed row, a ``Rejected`` per malformed one."""
        number = 0
        with self._stream:
            while True:
                self._buffer.clear()
                self._bad_utf8 = None
                self._has_cr = False
                first_line = self._last_line + 1
                try:
                    values = next(self._reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    number += 1
                    reason = f"is not valid CSV: {exc}"
                    yield Rejected(f"row {number}", None, reason, truncate(self.payload()))
                    continue
                if not values:
                    continue
                number += 1
                ref = f"row {number}"
                if self._has_cr:
                    values = [value.replace(_CR_STAND_IN, "\r") for value in values]
                if self._bad_utf8:
                    yield Rejected(ref, None, self._bad_utf8, truncate(self.payload()))
                elif len(values) != self.width:
                    reason = self._width_reason(values, first_line)
                    yield Rejected(ref, None, reason, truncate(self.payload()))
                else:
                    yield ref, values

    def _width_reason(self, values: list[str], first_line: int) -> str:
        reason = f"has {len(values)} fields; the header has {self.width}"
        if self._last_line > first_line:
            return reason + (
                f" (the record spans lines {first_line}–{self._last_line}: is a quote left open?)"
            )
        return reason + f" (line {first_line})"


RowMapper = Callable[[list[str]], dict[str, object]]
"""Turns one row's values into the mapping ``InboundPost`` validates; may raise RecordError."""


def csv_records(
    source: CsvSource,
    make_mapper: Callable[[dict[str, int]], RowMapper],
    context: dict[str, object] | None,
) -> Iterator[ParsedRecord]:
    """Map and validate each row of ``source``; a ``RecordError`` from the mapper rejects it.

    The mapper is made once from the header's column positions, so a row costs list
    indexing rather than name lookups.
    """
    mapper = make_mapper(source.columns)
    for item in source.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        ref, values = item
        try:
            data = mapper(values)
        except RecordError as exc:
            yield Rejected(ref, exc.field, exc.reason, truncate(source.payload()))
            continue
        yield validate(data, ref, source.payload, context)


def count_csv_rows(path: Path) -> int:
    """How many records (good or bad) ``csv_records`` will yield for ``path``."""
    return sum(1 for _ in CsvSource(path).rows())
