"""The native JSON Lines format: every bad line is refused on its own, the others survive."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundswell.ingestion.formats import (
    PAYLOAD_LIMIT,
    Accepted,
    ParsedRecord,
    Rejected,
    UnreadableFileError,
    count_records,
    parse_file,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
CONTEXT: dict[str, object] = {
    "now": NOW,
    "max_future_skew": timedelta(minutes=5),
    "max_text_length": 280,
}


def post(external_id: str = "1", **overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "channel": "twitter",
        "external_id": external_id,
        "text": f"post number {external_id}",
        "created_at": "2024-05-01T10:00:00Z",
        "author": {"external_id": "u1", "handle": "ann", "followers": 10},
    }
    record.update(overrides)
    return record


def line(record: dict[str, object]) -> str:
    return json.dumps(record)


def write_lines(tmp_path: Path, lines: Iterable[str | bytes]) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    return path


def parse(path: Path) -> tuple[list[Accepted], list[Rejected]]:
    records: list[ParsedRecord] = list(parse_file(path, "native", context=CONTEXT))
    accepted = [r for r in records if isinstance(r, Accepted)]
    rejected = [r for r in records if isinstance(r, Rejected)]
    return accepted, rejected


def only_line_2_rejected(tmp_path: Path, bad: str | bytes) -> Rejected:
    """Write good, bad, good; check the good ones survive and return the one refusal."""
    path = write_lines(tmp_path, [line(post("1")), bad, line(post("3"))])
    accepted, rejected = parse(path)
    assert [a.ref for a in accepted] == ["line 1", "line 3"]
    assert [a.post.external_id for a in accepted] == ["1", "3"]
    assert len(rejected) == 1
    assert rejected[0].ref == "line 2"
    return rejected[0]


def test_good_file_is_accepted_with_utc_times(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [line(post("1", created_at="2024-05-01T12:00:00+02:00"))])
    accepted, rejected = parse(path)
    assert rejected == []
    assert accepted[0].post.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert accepted[0].post.author.followers == 10


def test_malformed_json(tmp_path: Path) -> None:
    bad = '{"channel": "twitter", "external_id": '
    rejected = only_line_2_rejected(tmp_path, bad)
    assert rejected.field is None
    assert rejected.reason.startswith("is not valid JSON: ")
    assert rejected.payload == bad


def test_line_that_is_not_an_object(tmp_path: Path) -> None:
    rejected = only_line_2_rejected(tmp_path, "[1, 2, 3]")
    assert rejected.field is None
    assert rejected.reason == "is an array, not a JSON object"


def test_missing_field(tmp_path: Path) -> None:
    record = post("2")
    del record["text"]
    rejected = only_line_2_rejected(tmp_path, line(record))
    assert rejected.field == "text"
    assert rejected.reason == "text is required"


def test_mistyped_field(tmp_path: Path) -> None:
    bad = post("2", author={"external_id": "u2", "followers": "many"})
    rejected = only_line_2_rejected(tmp_path, line(bad))
    assert rejected.field == "author.followers"
    assert "valid integer" in rejected.reason
    assert "'many'" in rejected.reason


def test_unknown_field(tmp_path: Path) -> None:
    rejected = only_line_2_rejected(tmp_path, line(post("2", mood="happy")))
    assert rejected.field == "mood"
    assert rejected.reason == "mood is not a known field"


def test_invalid_timestamp(tmp_path: Path) -> None:
    rejected = only_line_2_rejected(tmp_path, line(post("2", created_at="yesterday")))
    assert rejected.field == "created_at"
    assert "valid datetime" in rejected.reason


def test_future_skewed_timestamp(tmp_path: Path) -> None:
    future = (NOW + timedelta(hours=1)).isoformat()
    rejected = only_line_2_rejected(tmp_path, line(post("2", created_at=future)))
    assert rejected.field == "created_at"
    assert "300 s in the future" in rejected.reason


def test_slightly_future_timestamp_within_skew_is_accepted(tmp_path: Path) -> None:
    soon = (NOW + timedelta(minutes=4)).isoformat()
    accepted, rejected = parse(write_lines(tmp_path, [line(post("1", created_at=soon))]))
    assert rejected == []
    assert len(accepted) == 1


def test_invalid_utf8(tmp_path: Path) -> None:
    first = line(post("1")).encode() + b"\n"
    bad = b'{"text": "caf\xe9"}'
    rejected = only_line_2_rejected(tmp_path, bad)
    assert rejected.field is None
    offset = bad.index(b"\xe9")
    assert rejected.reason == (
        f"is not valid UTF-8: byte 0xe9 at offset {offset} of the record "
        f"(byte {len(first) + offset} of the file)"
    )
    assert rejected.payload == '{"text": "caf\ufffd"}'


def test_empty_text(tmp_path: Path) -> None:
    rejected = only_line_2_rejected(tmp_path, line(post("2", text="")))
    assert rejected.field == "text"
    assert rejected.reason == "text is empty"


def test_whitespace_only_text(tmp_path: Path) -> None:
    rejected = only_line_2_rejected(tmp_path, line(post("2", text=" \t\n  ")))
    assert rejected.field == "text"
    assert rejected.reason == "text is empty"


def test_oversized_text(tmp_path: Path) -> None:
    rejected = only_line_2_rejected(tmp_path, line(post("2", text="x" * 281)))
    assert rejected.field == "text"
    assert rejected.reason == "text is 281 characters long; the limit is 280"


def test_control_characters_are_stripped_not_rejected(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [line(post("1", text="hel\x00lo\x07 there\x1b"))])
    accepted, rejected = parse(path)
    assert rejected == []
    assert accepted[0].post.text == "hello there"


def test_several_errors_name_the_first_and_count_the_rest(tmp_path: Path) -> None:
    bad = post("2", text="", channel="Not A Slug!", mood="happy")
    rejected = only_line_2_rejected(tmp_path, line(bad))
    assert rejected.field == "channel"
    assert rejected.reason.endswith("(and 2 more errors: text, mood)")


def test_blank_lines_are_skipped_and_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = write_lines(tmp_path, ["", line(post("1")), "   ", line(post("2", text=""))])
    accepted, rejected = parse(path)
    assert [a.ref for a in accepted] == ["line 2"]
    assert [(r.ref, r.field) for r in rejected] == [("line 4", "text")]
    assert count_records(path, "native") == 2


def test_crlf_line_endings_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line(post("1")).encode() + b"\r\n")
    accepted, rejected = parse(path)
    assert rejected == []
    assert accepted[0].post.external_id == "1"


def test_payload_of_a_huge_bad_line_is_truncated(tmp_path: Path) -> None:
    rejected = only_line_2_rejected(tmp_path, "{" + "x" * 20_000)
    assert rejected.payload is not None
    assert len(rejected.payload) == PAYLOAD_LIMIT + 1
    assert rejected.payload.endswith("…")


def test_unknown_format(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [line(post("1"))])
    with pytest.raises(UnreadableFileError, match="unknown format 'xml'"):
        parse_file(path, "xml")
    with pytest.raises(UnreadableFileError, match="unknown format 'xml'"):
        count_records(path, "xml")


def test_missing_file_raises_before_iteration(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(UnreadableFileError, match="does not exist"):
        parse_file(missing, "native")
    with pytest.raises(UnreadableFileError, match="does not exist"):
        count_records(missing, "native")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="is a directory"):
        parse_file(tmp_path, "native")


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert list(parse_file(path, "native")) == []
    assert count_records(path, "native") == 0


def test_a_post_says_whether_it_is_a_private_message(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path,
        [
            line(post("1", channel="facebook", private=True)),
            line(post("2", channel="facebook")),
            line(post("3", private="maybe")),
        ],
    )
    accepted, rejected = parse(path)
    assert [(a.post.external_id, a.post.private) for a in accepted] == [("1", True), ("2", False)]
    (bad,) = rejected
    assert bad.field == "private" and "bool" in bad.reason
