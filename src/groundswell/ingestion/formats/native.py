"""Groundswell's own import format: JSON Lines, one ``InboundPost`` object per line.

The file is read as bytes and each line decoded on its own, so an invalid byte, a broken
line of JSON or a record that fails validation costs that line only; blank lines are
skipped. The same validation serves API batches (``validate_items``), so a record means the
same thing whichever way it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from groundswell.ingestion.formats.common import (
    ParsedRecord,
    Rejected,
    json_payload,
    loads_json,
    numbered_lines,
    open_binary,
    truncate,
    utf8_error_reason,
    validate,
)
from groundswell.ingestion.formats.entities import ESCAPING_CHANNELS, decode_entities

_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}


def _not_an_object(value: object) -> str:
    if value is None:
        kind = "null"
    elif isinstance(value, bool):
        kind = "a boolean"
    else:
        kind = _JSON_KINDS.get(type(value), type(value).__name__)
    return f"is {kind}, not a JSON object"


def parse(path: Path, context: dict[str, object] | None) -> Iterator[ParsedRecord]:
    """Open ``path`` (raising ``UnreadableFileError`` now) and stream its records."""
    return _records(open_binary(path), context)


def _records(stream: BinaryIO, context: dict[str, object] | None) -> Iterator[ParsedRecord]:
    with stream:
        for number, offset, line in numbered_lines(stream):
            if not line.strip():
                continue
            ref = f"line {number}"
            try:
                text = line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                payload = line.decode("utf-8", "replace").rstrip("\r\n")
                reason = utf8_error_reason(line, offset) or "is not valid UTF-8"
                yield Rejected(ref, None, reason, truncate(payload))
                continue
            try:
                data = loads_json(text)
            except ValueError as exc:
                yield Rejected(ref, None, f"is not valid JSON: {exc}", truncate(text))
                continue
            if not isinstance(data, dict):
                yield Rejected(ref, None, _not_an_object(data), truncate(text))
                continue
            yield validate(decode_escaped_text(data), ref, text, context)


def decode_escaped_text(data: dict[str, Any]) -> dict[str, Any]:
    """The record with its text's HTML entities decoded if its channel's source escapes them.

    Files of tweets in the native format keep the text as the API sent it (the demo sample
    does); see ``entities.ESCAPING_CHANNELS``. Other channels' text is taken as written.
    """
    channel, text = data.get("channel"), data.get("text")
    if not isinstance(channel, str) or not isinstance(text, str):
        return data
    if channel.strip().lower() not in ESCAPING_CHANNELS:
        return data
    return {**data, "text": decode_entities(text)}


def count(path: Path) -> int:
    """Non-blank lines: one record each, good or bad."""
    with open_binary(path) as stream:
        return sum(1 for line in stream if line.strip())


def validate_items(
    items: list[object],
    *,
    context: dict[str, object] | None = None,
    ref_prefix: str = "item",
) -> list[ParsedRecord]:
    """Validate decoded JSON values (an API batch); refs count from 0, like the array."""
    results: list[ParsedRecord] = []
    for index, item in enumerate(items):
        ref = f"{ref_prefix} {index}"
        if not isinstance(item, dict):
            reason = _not_an_object(item)
            results.append(Rejected(ref, None, reason, truncate(json_payload(item))))
            continue
        results.append(validate(item, ref, partial(json_payload, item), context))
    return results
