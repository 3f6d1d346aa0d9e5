"""HTML entities in tweet text are decoded once at import; other channels keep their text."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from groundswell.ingestion.formats import Accepted, parse_file
from groundswell.ingestion.formats.entities import decode_entities
from groundswell.ingestion.replay import load_sorted

SAMPLE = Path(__file__).resolve().parents[3] / "src/groundswell/demo/data/sample.jsonl"


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("flights 464 &amp; 3574", "flights 464 & 3574"),
        ("BNA-&gt; TUL", "BNA-> TUL"),
        ("&lt;3 &quot;great&quot; &#39;ok&#39; &#x1F600;", "<3 \"great\" 'ok' 😀"),
        ("&amp;gt; stays one level", "&gt; stays one level"),
        ("AT&T and R&D and this&nothing", "AT&T and R&D and this&nothing"),
        ("&#0; &#xD800; &#99999999; &bogus;", "&#0; &#xD800; &#99999999; &bogus;"),
    ],
)
def test_decode_entities(raw: str, decoded: str) -> None:
    assert decode_entities(raw) == decoded


def test_demo_sample_has_no_entities_after_import() -> None:
    raw = SAMPLE.read_text(encoding="utf-8")
    assert "&amp;" in raw and "&gt;" in raw  # the published text is escaped
    posts = load_sorted(SAMPLE, "native")
    by_id = {p.external_id: p.text for p in posts}
    assert by_id["567595670463205376"].startswith("@united I like delays")
    texts = [p.text for p in posts]
    assert not any("&amp;" in t or "&gt;" in t or "&lt;" in t for t in texts)
    assert any("464 & 3574" in t for t in texts)
    assert any("BNA-> TUL" in t for t in texts)


def _native(tmp_path: Path, channel: str, text: str) -> str:
    path = tmp_path / "posts.jsonl"
    record = {
        "channel": channel,
        "external_id": "1",
        "text": text,
        "created_at": "2024-05-01T10:00:00Z",
        "author": {"external_id": "u1"},
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (result,) = list(parse_file(path, "native"))
    assert isinstance(result, Accepted)
    return result.post.text


def test_native_decodes_only_escaping_channels(tmp_path: Path) -> None:
    assert _native(tmp_path, "twitter", "Q&amp;A &lt;b&gt;") == "Q&A <b>"
    assert _native(tmp_path, "email", "Q&amp;A") == "Q&amp;A"


def test_csv_formats_decode(tmp_path: Path) -> None:
    airline = tmp_path / "airline.csv"
    with airline.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["tweet_id", "name", "text", "tweet_created", "retweet_count"])
        w.writerow(["5", "ann", "@united bags &amp; seats", "2015-02-24 11:35:52 -0800", "0"])
    twcs = tmp_path / "twcs.csv"
    with twcs.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["tweet_id", "author_id", "inbound", "created_at", "text"])
        w.writerow(["6", "bob", "True", "Tue Oct 31 22:10:47 +0000 2017", "a &gt; b"])
    (a,) = list(parse_file(airline, "airline"))
    (t,) = list(parse_file(twcs, "twcs"))
    assert isinstance(a, Accepted) and a.post.text == "@united bags & seats"
    assert isinstance(t, Accepted) and t.post.text == "a > b"
