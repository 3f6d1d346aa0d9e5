"""The real public data sets parse completely (skipped when ../shared/data is absent)."""

from __future__ import annotations

from collections import Counter

from groundswell.ingestion.formats import Accepted, Rejected, count_records, parse_file
from gs_testing import require_data


def test_airline_full_file() -> None:
    path = require_data("airline", "Tweets.csv")
    records = list(parse_file(path, "airline"))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert rejected == []
    posts = [r.post for r in records if isinstance(r, Accepted)]
    assert len(posts) == 14_640
    assert len({p.external_id for p in posts}) == 14_485
    assert count_records(path, "airline") == 14_640
    labels = Counter(p.raw["airline_sentiment"] for p in posts if p.raw is not None)
    assert labels == {"negative": 9_178, "neutral": 3_099, "positive": 2_363}
    first = posts[0]
    assert first.external_id == "570306133677760513"
    assert first.author.handle == "cairdin"
    assert first.created_at.isoformat() == "2015-02-24T19:35:52+00:00"


def test_twcs_sample() -> None:
    path = require_data("twcs_sample", "twcs_sample.csv")
    records = list(parse_file(path, "twcs"))
    assert [r for r in records if isinstance(r, Rejected)] == []
    posts = {r.post.external_id: r.post for r in records if isinstance(r, Accepted)}
    assert len(posts) == 5_000
    assert count_records(path, "twcs") == 5_000
    directions = Counter(p.direction for p in posts.values())
    assert directions == {"in": 2_778, "out": 2_222}
    replies = [p.reply_to_external_id for p in posts.values() if p.reply_to_external_id]
    assert replies
    assert all(r.isdigit() for r in replies)
    assert posts["1"].reply_to_external_id == "3"
    assert posts["1"].author.external_id == "sprintcare"
    assert posts["8"].reply_to_external_id is None
    # The one tweet with unquoted carriage returns in the export stays one record.
    assert posts["3399"].text.startswith("@AskPayPal \r\rI just love the start of email")
