"""One test per Jetstream fixture (events as Jetstream documents them), read without a socket."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from channels_testing import fixture_names, load_fixture
from groundswell.channels.bluesky.connector import BlueskyConfig, BlueskyConnector
from groundswell.channels.bluesky.jetstream import JetstreamSource, subscribe_url
from groundswell.channels.bluesky.mapping import jetstream_to_post
from groundswell.channels.common.results import Refusal
from groundswell.ingestion.schemas import InboundPost

BRAND = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
TESTED = {
    "jetstream_commit_mention.json",
    "jetstream_commit_reply.json",
    "jetstream_commit_keyword.json",
    "jetstream_commit_unrelated.json",
    "jetstream_commit_delete.json",
    "jetstream_identity.json",
    "jetstream_account.json",
    "jetstream_malformed_commit.json",
}


def source(keywords: tuple[str, ...] = ("acme air",)) -> JetstreamSource:
    config = BlueskyConfig(
        base_url="http://127.0.0.1:9", identifier=BRAND, app_password="x", keywords=keywords
    )
    connector = BlueskyConnector(config)
    connector._did = BRAND  # no login: these tests read events only
    return JetstreamSource(connector, "wss://jetstream.example/subscribe")


def read(name: str, src: JetstreamSource | None = None) -> InboundPost | Refusal | None:
    """What the source makes of one event: a post, a refusal, or ``None`` (not ours)."""
    src = src or source()
    event, refusal = src._parse(orjson.dumps(load_fixture("bluesky", name)))
    if refusal is not None:
        return refusal
    assert event is not None
    hit = src._select(event, BRAND)
    if hit is None or isinstance(hit, Refusal):
        return hit
    event, record, reason = hit
    assert event.commit is not None
    post: dict[str, Any] = jetstream_to_post(
        channel="bluesky",
        uri=f"at://{event.did}/{event.commit.collection}/{event.commit.rkey}",
        cid=event.commit.cid or "",
        did=event.did,
        record=record,
        time_us=event.time_us,
        reason=reason,
        profile=None,
    )
    return InboundPost.model_validate(post)


def test_every_jetstream_fixture_has_a_test() -> None:
    assert {n for n in fixture_names("bluesky") if n.startswith("jetstream_")} == TESTED


def test_commit_mention_of_the_brand() -> None:
    post = read("jetstream_commit_mention.json")
    assert isinstance(post, InboundPost) and post.raw is not None
    assert post.external_id == (
        "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbqi2fmkyk2a"
    )
    assert post.author.external_id == "did:plc:z72i7hdynmk6r22z27h6tvur"
    assert post.reply_to_external_id is None
    assert post.raw["reason"] == "mention" and post.raw["time_us"] == 1763628072981044


def test_commit_reply_keeps_parent_and_root() -> None:
    post = read("jetstream_commit_reply.json")
    assert isinstance(post, InboundPost) and post.raw is not None
    assert post.reply_to_external_id == (
        "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbqhs2a7yc2s"
    )
    assert post.raw["reply_root"] == (
        "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbqi2fmkyk2a"
    )
    assert post.raw["reason"] == "reply"


def test_commit_keyword_matches_without_case() -> None:
    post = read("jetstream_commit_keyword.json")
    assert isinstance(post, InboundPost) and post.raw is not None
    assert post.raw["reason"] == "keyword"
    assert read("jetstream_commit_keyword.json", source(keywords=())) is None


def test_commit_unrelated_is_not_ours() -> None:
    assert read("jetstream_commit_unrelated.json") is None


def test_commit_delete_is_skipped() -> None:
    assert read("jetstream_commit_delete.json") is None


def test_identity_event_teaches_the_handle() -> None:
    src = source()
    assert read("jetstream_identity.json", src) is None
    assert src._handles == {"did:plc:z72i7hdynmk6r22z27h6tvur": "ana.bsky.social"}


def test_account_event_is_skipped() -> None:
    assert read("jetstream_account.json") is None


def test_malformed_commit_is_refused_with_the_field() -> None:
    refusal = read("jetstream_malformed_commit.json")
    assert isinstance(refusal, Refusal)
    assert refusal.reason.startswith("time_us: ")
    assert refusal.payload is not None and "soon" in refusal.payload


@pytest.mark.parametrize(
    ("base", "cursor", "expected"),
    [
        (
            "wss://js.example",
            None,
            "wss://js.example/subscribe?wantedCollections=app.bsky.feed.post",
        ),
        (
            "wss://js.example/subscribe/",
            1763628072981044,
            "wss://js.example/subscribe?wantedCollections=app.bsky.feed.post"
            "&cursor=1763628067981044",
        ),
    ],
)
def test_subscribe_url_rewinds_the_cursor(base: str, cursor: int | None, expected: str) -> None:
    assert subscribe_url(base, cursor) == expected


def test_a_malformed_post_that_mentions_the_brand_is_refused_others_are_skipped() -> None:
    event = load_fixture("bluesky", "jetstream_commit_mention.json")
    del event["commit"]["record"]["createdAt"]
    refusal = read_event(event)
    assert isinstance(refusal, Refusal)
    assert refusal.ref.startswith("bluesky:at://did:plc:z72i7hdynmk6r22z27h6tvur/")
    assert refusal.reason.startswith("createdAt: ")
    stranger = load_fixture("bluesky", "jetstream_commit_unrelated.json")
    del stranger["commit"]["record"]["createdAt"]
    assert read_event(stranger) is None  # the rest of the network's bad posts are not ours


def read_event(data: dict[str, Any]) -> Refusal | object | None:
    src = source()
    event, refusal = src._parse(orjson.dumps(data))
    assert event is not None and refusal is None
    return src._select(event, BRAND)
