"""Feeds end to end against the stand-in: conditional GET, restart, bad bodies, 429."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels_testing import PipelineHarness
from groundswell.channels.base import Source
from groundswell.channels.errors import SourceError
from groundswell.channels.feeds.connector import FeedConfig, FeedSource
from groundswell.channels.feeds.standin import FeedStandin
from groundswell.core.outbound import OutboundPolicy
from gs_testing import migrated_sqlite_url


@pytest.fixture
def standin() -> Iterator[FeedStandin]:
    with FeedStandin() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[PipelineHarness]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url)
    yield harness
    harness.close()


LOOPBACK = OutboundPolicy.from_setting("127.0.0.1")


def source(standin: FeedStandin, **kw: object) -> FeedSource:
    config = FeedConfig(url=standin.url + "/feed.xml", channel="reviews", **kw)  # type: ignore[arg-type]
    return FeedSource(config, outbound=LOOPBACK)


def test_conditional_get_and_restart(standin: FeedStandin, pipeline: PipelineHarness) -> None:
    standin.review("Ana", "Lost bag", "Nobody answers")
    feed = source(standin)
    assert isinstance(feed, Source)
    first = feed.fetch(None)
    pipeline.store(first.posts)
    unchanged = feed.fetch(first.cursor)
    assert unchanged.posts == [] and unchanged.cursor == first.cursor
    conditional = standin.requests[-1]
    assert conditional.header("If-None-Match") and conditional.header("If-Modified-Since")
    standin.review("Bo", "Great crew", "Kind and quick")
    standin.review("Cy", "Late again", "Two hours")
    restarted = source(standin)  # a new process with the saved cursor
    page = restarted.fetch(first.cursor)
    assert [p["text"].split("\n")[0] for p in page.posts] == ["Great crew", "Late again"]
    pipeline.store(page.posts)
    pipeline.store(restarted.fetch(first.cursor).posts)  # crash before saving: re-read
    texts = [r.text for r in pipeline.interactions()]
    assert len(texts) == len(set(texts)) == 3
    assert pipeline.identity_of(pipeline.interactions()[0]).handle == "Ana"


def test_bad_bodies_and_limits_never_raise(standin: FeedStandin) -> None:
    standin.raw_body = b"<html><body>not a feed"
    page = source(standin).fetch(None)
    assert page.posts == [] and page.rejected[0].reason.startswith("not a feed")
    standin.raw_body = b"<rss>" + b"x" * 5000 + b"</rss>"
    big = source(standin, max_bytes=1000).fetch(None)
    assert big.rejected[0].reason == "feed is larger than 1000 bytes"
    standin.rate_limited = 1
    with pytest.raises(SourceError) as limited:
        source(standin).fetch("garbage cursor")
    assert limited.value.retry_after == 120
    with pytest.raises(SourceError, match="feed answered HTTP 404") as err:
        FeedSource(FeedConfig(url=standin.url + "/missing.xml"), outbound=LOOPBACK).fetch(None)
    assert err.value.retryable


def test_every_request_and_redirect_passes_the_outbound_guard(standin: FeedStandin) -> None:
    """The admin allowed the feed's host by name; a redirect to an address they did not
    allow is refused before it is requested, and says which setting to look at."""
    by_name = standin.url.replace("127.0.0.1", "localhost") + "/feed.xml"
    allowed = OutboundPolicy.from_setting("localhost")
    standin.review("Ana", "Lost bag", "Nobody answers")
    assert FeedSource(FeedConfig(url=by_name), outbound=allowed).fetch(None).posts
    standin.redirect_to = "http://127.0.0.1:6379/"  # an internal service
    seen = len(standin.requests)
    with pytest.raises(SourceError) as err:
        FeedSource(FeedConfig(url=by_name), outbound=allowed).fetch(None)
    assert not err.value.retryable
    assert err.value.reason.startswith("url: ") and "non-public" in err.value.reason
    assert len(standin.requests) == seen + 1  # the redirect itself was never followed
    with pytest.raises(SourceError, match="non-public"):
        FeedSource(FeedConfig(url=standin.url + "/feed.xml")).fetch(None)  # no allow-list
