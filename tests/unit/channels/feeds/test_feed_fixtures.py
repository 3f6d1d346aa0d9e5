"""One test per feed fixture: RSS 2.0 and Atom 1.0 as sites publish them, and bad input."""

from __future__ import annotations

from importlib import resources

from groundswell.channels.feeds.connector import FeedConfig, FeedSource
from groundswell.channels.feeds.schemas import FeedState
from groundswell.ingestion.schemas import InboundPost

FOLDER = resources.files("groundswell.channels.feeds") / "fixtures"
TESTED = {"rss2_reviews.xml", "atom_blog.xml", "rss2_entry_without_text.xml", "not_a_feed.html"}


def parse(name: str, state: FeedState | None = None):  # type: ignore[no-untyped-def]
    source = FeedSource(FeedConfig(url="https://reviews.example/feed", channel="reviews"))
    body = (FOLDER / name).read_bytes()
    return source.parse(body, state or FeedState(), etag='"abc"', modified=None)


def test_every_fixture_has_a_test() -> None:
    assert {p.name for p in FOLDER.iterdir() if not p.name.startswith(".")} == TESTED


def test_rss2_reviews() -> None:
    page = parse("rss2_reviews.xml")
    posts = [InboundPost.model_validate(p) for p in page.posts]
    assert [p.external_id for p in posts] == ["6734a1d2ee01", "6734ab90f1c2"]  # oldest first
    bad = posts[1]
    assert bad.text.startswith("2 stars: Rebooked twice, no meal voucher\n\nFlight TP1942")
    assert "<b>" not in bad.text and "nobody could give" in bad.text
    assert bad.author.handle == "Maria P."
    assert bad.created_at.isoformat() == "2026-11-20T08:41:00+00:00"
    state = FeedState.model_validate_json(page.cursor or "")
    assert state.etag == '"abc"' and state.seen == ["6734ab90f1c2", "6734a1d2ee01"]
    # Parsed again from that cursor: nothing new.
    assert parse("rss2_reviews.xml", state).posts == []


def test_atom_blog() -> None:
    (post,) = [InboundPost.model_validate(p) for p in parse("atom_blog.xml").posts]
    assert post.external_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert post.author.email == "jo@travelnotes.example"
    assert (
        post.text
        == "Why I stopped flying AcmeAir\n\nThree delays in a month. Here is what happened."
    )
    assert post.url == "https://travelnotes.example/2026/11/why-i-stopped"


def test_rss2_entry_without_text_is_refused() -> None:
    page = parse("rss2_entry_without_text.xml")
    assert page.posts == []
    assert [(r.ref, r.reason) for r in page.rejected] == [
        ("feed:only-an-id-1", "entry has no text")
    ]


def test_not_a_feed_is_refused_with_a_reason() -> None:
    page = parse("not_a_feed.html")
    assert page.posts == [] and len(page.rejected) == 1
    assert page.rejected[0].reason.startswith("not a feed")
