"""The Twitter US Airline Sentiment CSV (Crowdflower, 2015), as republished on Kaggle.

The file has no numeric user id, so the author is known by ``name`` (the handle). The hand
labels (sentiment, negative reason, their confidences) are kept in ``raw`` as the file has
them, so enrichment can be evaluated against them later. About 1 % of rows repeat a
``tweet_id``; both are parsed, since removing duplicates is the pipeline's job.
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
    parse_count,
    utc_offset,
)
from groundswell.ingestion.formats.entities import decode_entities

REQUIRED = ("tweet_id", "name", "text", "tweet_created", "retweet_count")
RAW_COLUMNS = (
    "airline",
    "airline_sentiment",
    "airline_sentiment_confidence",
    "airline_sentiment_gold",
    "negativereason",
    "negativereason_confidence",
    "negativereason_gold",
    "tweet_coord",
    "tweet_location",
    "user_timezone",
)
TIME_EXAMPLE = "2015-02-24 11:35:52 -0800"


def parse_created(value: str) -> datetime:
    """``2015-02-24 11:35:52 -0800`` → an aware datetime, without strptime's cost per row."""
    value = value.strip()
    try:
        if len(value) != 25 or value[19] != " ":
            raise ValueError(value)
        return datetime.fromisoformat(value[:19]).replace(tzinfo=utc_offset(value[20:]))
    except ValueError:
        raise RecordError(
            "created_at",
            f"column tweet_created is {value[:80]!r}, not a time like {TIME_EXAMPLE!r}",
        ) from None


def make_mapper(columns: dict[str, int]) -> RowMapper:
    """A row mapper bound to this header's column positions."""
    tweet_id, name_at, text_at = columns["tweet_id"], columns["name"], columns["text"]
    created_at, retweets_at = columns["tweet_created"], columns["retweet_count"]
    raw_columns = [(column, columns[column]) for column in RAW_COLUMNS if column in columns]

    def to_mapping(values: list[str]) -> dict[str, object]:
        post_id = normalise_id(values[tweet_id]) or ""
        name = values[name_at].strip()
        shares = parse_count(values[retweets_at], "engagement.shares", "retweet_count")
        return {
            "channel": "twitter",
            "external_id": post_id,
            "text": decode_entities(values[text_at]),
            "created_at": parse_created(values[created_at]),
            "author": {"external_id": name, "handle": name or None, "display_name": name or None},
            "engagement": {"shares": shares},
            "url": f"https://twitter.com/{name}/status/{post_id}" if name and post_id else None,
            "raw": {column: values[index] or None for column, index in raw_columns},
        }

    return to_mapping


def parse(path: Path, context: dict[str, object] | None) -> Iterator[ParsedRecord]:
    """Open ``path`` (raising ``UnreadableFileError`` now) and stream its records."""
    return csv_records(CsvSource(path, REQUIRED), make_mapper, context)
