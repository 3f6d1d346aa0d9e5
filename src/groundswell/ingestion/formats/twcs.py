"""The Customer Support on Twitter CSV (Thought Vector, Kaggle), brands and customers talking.

Unlike the airline file it has both sides of each conversation: ``inbound`` is False for a
brand's own reply, which becomes an outbound post, and ``in_response_to_tweet_id`` threads
the replies. Customer ids are anonymised numbers, so posts carry no profile URL. The export
went through a dataframe, which wrote reply ids as floats (``119237.0``); they are put back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from groundswell.ingestion.formats.common import (
    CsvSource,
    ParsedRecord,
    RecordError,
    RowMapper,
    csv_records,
    normalise_id,
    utc_offset,
)
from groundswell.ingestion.formats.entities import decode_entities

REQUIRED = ("tweet_id", "author_id", "inbound", "created_at", "text")
TIME_EXAMPLE = "Tue Oct 31 22:10:47 +0000 2017"
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def parse_created(value: str) -> datetime:
    """Twitter's ``Tue Oct 31 22:10:47 +0000 2017`` → an aware datetime, without strptime."""
    value = value.strip()
    try:
        _weekday, month, day, clock, offset, year = value.split(" ")
        hour, minute, second = clock.split(":")
        return datetime(
            int(year),
            _MONTHS[month],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=utc_offset(offset),
        )
    except (ValueError, KeyError):
        raise RecordError(
            "created_at",
            f"column created_at is {value[:80]!r}, not a time like {TIME_EXAMPLE!r}",
        ) from None


def parse_inbound(value: str) -> bool:
    try:
        return _BOOLEANS[value.strip().lower()]
    except KeyError:
        raise RecordError(
            "direction", f"column inbound is {value[:80]!r}, not True or False"
        ) from None


def make_mapper(columns: dict[str, int]) -> RowMapper:
    """A row mapper bound to this header's column positions."""
    tweet_id, author_at, inbound_at = columns["tweet_id"], columns["author_id"], columns["inbound"]
    text_at, created_at = columns["text"], columns["created_at"]
    reply_at = columns.get("in_response_to_tweet_id")
    responses_at = columns.get("response_tweet_id")

    def to_mapping(values: list[str]) -> dict[str, object]:
        author = values[author_at].strip()
        inbound = parse_inbound(values[inbound_at])
        return {
            "channel": "twitter",
            "external_id": normalise_id(values[tweet_id]) or "",
            "direction": "in" if inbound else "out",
            "text": decode_entities(values[text_at]),
            "created_at": parse_created(values[created_at]),
            "author": {"external_id": author, "handle": author or None},
            "reply_to_external_id": None if reply_at is None else normalise_id(values[reply_at]),
            "raw": {
                "response_tweet_id": (
                    None if responses_at is None else values[responses_at].strip() or None
                ),
                "inbound": inbound,
            },
        }

    return to_mapping


def parse(path: Path, context: dict[str, object] | None) -> Iterator[ParsedRecord]:
    """Open ``path`` (raising ``UnreadableFileError`` now) and stream its records."""
    return csv_records(CsvSource(path, REQUIRED), make_mapper, context)
