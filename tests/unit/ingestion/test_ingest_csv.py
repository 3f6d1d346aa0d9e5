"""The CSV formats (airline, twcs): a bad row is refused by number, a bad file up front."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundswell.ingestion.formats import (
    Accepted,
    ParsedRecord,
    Rejected,
    UnreadableFileError,
    count_records,
    parse_file,
)

CONTEXT: dict[str, object] = {
    "now": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
    "max_future_skew": timedelta(minutes=5),
}

AIRLINE_HEADER = (
    "tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,"
    "negativereason_confidence,airline,airline_sentiment_gold,name,negativereason_gold,"
    "retweet_count,text,tweet_coord,tweet_created,tweet_location,user_timezone"
)
TWCS_HEADER = (
    ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"
)


def airline_row(
    tweet_id: str, text: str = "@united thanks", created: str = "2015-02-24 11:35:52 -0800"
) -> str:
    return (
        f"{tweet_id},negative,1.0,Late Flight,0.7,United,,jnardino,,2,{text},"
        f'"[40.7, -73.9]",{created},NYC,Eastern Time (US & Canada)'
    )


def twcs_row(index: int, tweet_id: str, *, inbound: str = "True", reply: str = "") -> str:
    author = "115712" if inbound == "True" else "sprintcare"
    return (
        f"{index},{tweet_id},{author},{inbound},Tue Oct 31 22:10:47 +0000 2017,"
        f"@sprintcare post {tweet_id},,{reply}"
    )


def write(tmp_path: Path, header: str, rows: list[str], name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode())
    return path


def parse(path: Path, fmt: str) -> tuple[list[Accepted], list[Rejected]]:
    records: list[ParsedRecord] = list(parse_file(path, fmt, context=CONTEXT))
    accepted = [r for r in records if isinstance(r, Accepted)]
    rejected = [r for r in records if isinstance(r, Rejected)]
    return accepted, rejected


def only_row_2_rejected(path: Path, fmt: str) -> Rejected:
    accepted, rejected = parse(path, fmt)
    assert [a.ref for a in accepted] == ["row 1", "row 3"]
    assert len(rejected) == 1
    assert rejected[0].ref == "row 2"
    return rejected[0]


def test_airline_row_mapping(tmp_path: Path) -> None:
    accepted, rejected = parse(write(tmp_path, AIRLINE_HEADER, [airline_row("570")]), "airline")
    assert rejected == []
    post = accepted[0].post
    assert (post.channel, post.external_id, post.direction) == ("twitter", "570", "in")
    assert post.created_at == datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)
    assert post.author.external_id == post.author.handle == post.author.display_name
    assert post.author.external_id == "jnardino"
    assert post.engagement.shares == 2
    assert post.url == "https://twitter.com/jnardino/status/570"
    assert post.raw is not None
    assert post.raw["airline"] == "United"
    assert post.raw["airline_sentiment"] == "negative"
    assert post.raw["negativereason"] == "Late Flight"
    assert post.raw["tweet_coord"] == "[40.7, -73.9]"
    assert post.raw["airline_sentiment_gold"] is None


def test_airline_header_missing_columns_names_them(tmp_path: Path) -> None:
    header = AIRLINE_HEADER.replace("tweet_created,", "").replace(",name,", ",")
    path = write(tmp_path, header, [])
    with pytest.raises(UnreadableFileError, match="lacks required columns name, tweet_created"):
        parse_file(path, "airline")


def test_twcs_header_missing_column_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, TWCS_HEADER.replace("inbound,", ""), [])
    with pytest.raises(UnreadableFileError, match="lacks required column inbound "):
        parse_file(path, "twcs")


def test_wrong_file_for_the_format(tmp_path: Path) -> None:
    path = write(tmp_path, TWCS_HEADER, [twcs_row(0, "1")])
    with pytest.raises(UnreadableFileError, match="columns name, tweet_created, retweet_count "):
        parse_file(path, "airline")


def test_empty_csv_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\n\n")
    with pytest.raises(UnreadableFileError, match="is empty"):
        parse_file(path, "twcs")


def test_header_not_utf8_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(TWCS_HEADER.replace("text", "t\xe9xt").encode("latin-1") + b"\n")
    with pytest.raises(UnreadableFileError, match="header is not valid UTF-8"):
        parse_file(path, "twcs")


def test_missing_csv_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="does not exist"):
        parse_file(tmp_path / "nope.csv", "airline")


def test_row_with_too_few_fields(tmp_path: Path) -> None:
    rows = [airline_row("1"), "2,negative,1.0", airline_row("3")]
    rejected = only_row_2_rejected(write(tmp_path, AIRLINE_HEADER, rows), "airline")
    assert rejected.field is None
    assert rejected.reason == "has 3 fields; the header has 15 (line 3)"
    assert rejected.payload == "2,negative,1.0"


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    rows = [twcs_row(0, "1"), twcs_row(1, "2") + ",extra", twcs_row(2, "3")]
    rejected = only_row_2_rejected(write(tmp_path, TWCS_HEADER, rows), "twcs")
    assert rejected.field is None
    assert rejected.reason.startswith("has 9 fields; the header has 8")


def test_airline_invalid_timestamp(tmp_path: Path) -> None:
    rows = [airline_row("1"), airline_row("2", created="24/02/2015 11:35"), airline_row("3")]
    rejected = only_row_2_rejected(write(tmp_path, AIRLINE_HEADER, rows), "airline")
    assert rejected.field == "created_at"
    assert rejected.reason.startswith("column tweet_created is '24/02/2015 11:35', not a time")


def test_twcs_invalid_timestamp(tmp_path: Path) -> None:
    bad = twcs_row(1, "2").replace("Tue Oct 31", "Tue Okt 31")
    rows = [twcs_row(0, "1"), bad, twcs_row(2, "3")]
    rejected = only_row_2_rejected(write(tmp_path, TWCS_HEADER, rows), "twcs")
    assert rejected.field == "created_at"
    assert "column created_at is 'Tue Okt 31 22:10:47 +0000 2017'" in rejected.reason


def test_future_skewed_csv_row(tmp_path: Path) -> None:
    rows = [
        airline_row("1"),
        airline_row("2", created="2030-01-01 00:00:00 +0000"),
        airline_row("3"),
    ]
    rejected = only_row_2_rejected(write(tmp_path, AIRLINE_HEADER, rows), "airline")
    assert rejected.field == "created_at"
    assert "in the future" in rejected.reason


def test_bad_integer(tmp_path: Path) -> None:
    bad = airline_row("2").replace(",jnardino,,2,", ",jnardino,,lots,")
    rejected = only_row_2_rejected(
        write(tmp_path, AIRLINE_HEADER, [airline_row("1"), bad, airline_row("3")]), "airline"
    )
    assert rejected.field == "engagement.shares"
    assert rejected.reason == "column retweet_count is 'lots', not a whole number"


def test_bad_boolean(tmp_path: Path) -> None:
    rows = [twcs_row(0, "1"), twcs_row(1, "2", inbound="maybe"), twcs_row(2, "3")]
    rejected = only_row_2_rejected(write(tmp_path, TWCS_HEADER, rows), "twcs")
    assert rejected.field == "direction"
    assert rejected.reason == "column inbound is 'maybe', not True or False"


def test_empty_text_in_csv(tmp_path: Path) -> None:
    rows = [airline_row("1"), airline_row("2", text='"   "'), airline_row("3")]
    rejected = only_row_2_rejected(write(tmp_path, AIRLINE_HEADER, rows), "airline")
    assert rejected.field == "text"
    assert rejected.reason == "text is empty"


def test_invalid_utf8_in_a_row(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    good = [twcs_row(0, "1").encode(), twcs_row(2, "3").encode()]
    bad = twcs_row(1, "2").encode().replace(b"post", b"p\xf6st")
    path.write_bytes(b"\n".join([TWCS_HEADER.encode(), good[0], bad, good[1]]) + b"\n")
    rejected = only_row_2_rejected(path, "twcs")
    assert rejected.field is None
    assert rejected.reason.startswith("is not valid UTF-8: byte 0xf6 at offset")
    assert rejected.payload is not None
    assert "p\ufffdst" in rejected.payload


def test_quoted_newlines_and_bare_carriage_returns(tmp_path: Path) -> None:
    rows = [
        twcs_row(0, "1").replace("@sprintcare post 1", '"@sprintcare line one\nline two"'),
        twcs_row(1, "2").replace("@sprintcare post 2", "@sprintcare \r\rbare returns"),
        "2,3,115712,True,bad time,oops,,",
        twcs_row(3, "4"),
    ]
    path = write(tmp_path, TWCS_HEADER, rows)
    accepted, rejected = parse(path, "twcs")
    assert [a.post.text for a in accepted] == [
        "@sprintcare line one\nline two",
        "@sprintcare \r\rbare returns",
        "@sprintcare post 4",
    ]
    assert [a.ref for a in accepted] == ["row 1", "row 2", "row 4"]
    assert [(r.ref, r.field) for r in rejected] == [("row 3", "created_at")]
    assert count_records(path, "twcs") == 4


def test_crlf_file_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    text = "\r\n".join([TWCS_HEADER, twcs_row(0, "1"), twcs_row(1, "2")]) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    accepted, rejected = parse(path, "twcs")
    assert rejected == []
    assert [a.post.text for a in accepted] == ["@sprintcare post 1", "@sprintcare post 2"]


def test_twcs_directions_and_reply_ids(tmp_path: Path) -> None:
    rows = [
        twcs_row(0, "1", inbound="True"),
        twcs_row(1, "2.0", inbound="False", reply="1.0"),
    ]
    accepted, rejected = parse(write(tmp_path, TWCS_HEADER, rows), "twcs")
    assert rejected == []
    inbound, outbound = (a.post for a in accepted)
    assert (inbound.direction, inbound.reply_to_external_id) == ("in", None)
    assert (outbound.direction, outbound.external_id) == ("out", "2")
    assert outbound.reply_to_external_id == "1"
    assert outbound.author.external_id == "sprintcare"
    assert outbound.raw == {"response_tweet_id": None, "inbound": False}
    assert outbound.url is None


def test_an_unclosed_quote_is_one_refused_row_naming_the_lines(tmp_path: Path) -> None:
    rows = [twcs_row(0, "1"), twcs_row(1, "2").replace("@sprintcare", '"@sprintcare'), "x", "y"]
    accepted, rejected = parse(write(tmp_path, TWCS_HEADER, rows), "twcs")
    assert [a.ref for a in accepted] == ["row 1"]
    assert len(rejected) == 1
    assert rejected[0].ref == "row 2"
    assert "spans lines 3–5" in rejected[0].reason


def test_count_records_counts_rows_not_lines(tmp_path: Path) -> None:
    rows = [airline_row("1", text='"two\nlines"'), airline_row("2"), "bad"]
    assert count_records(write(tmp_path, AIRLINE_HEADER, rows), "airline") == 3
