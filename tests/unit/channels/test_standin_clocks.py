"""Stand-in networks stamp posts on a fixed test clock, or now when the demo runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.feeds.standin import FeedStandin
from groundswell.channels.mastodon.standin import MastodonStandin
from groundswell.channels.reddit.standin import RedditStandin
from groundswell.channels.youtube.standin import YouTubeStandin


def _stamps(live: bool) -> list[datetime]:
    mastodon, bluesky, reddit, youtube, feed = (
        MastodonStandin(),
        BlueskyStandin(),
        RedditStandin(),
        YouTubeStandin(),
        FeedStandin(),
    )
    for server in (mastodon, bluesky, reddit, youtube, feed):
        server.live_clock = live
    mastodon.mention("dee", "@brand hello")
    bluesky.post("dee.bsky.social", "@acme hello")
    reddit.submission("acmeair", "dee_travels", "Hello", "")
    youtube.comment("Dee", "hello")
    review = feed.review("Dee", "Hello", "hello")
    return [
        mastodon.clock,
        bluesky.clock,
        reddit.clock,
        youtube.clock,
        parsedate_to_datetime(review["date"]),
    ]


def test_tests_see_the_fixed_clock() -> None:
    assert all(s < datetime(2026, 11, 21, tzinfo=UTC) for s in _stamps(live=False))


def test_the_demo_stamps_posts_now() -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    stamps = _stamps(live=True)
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert all(before <= s <= after for s in stamps)


def test_a_live_clock_never_goes_back() -> None:
    server = MastodonStandin()
    server.live_clock = True
    ahead = datetime.now(UTC) + timedelta(hours=1)
    assert server.advance(ahead, timedelta(seconds=30)) == ahead + timedelta(milliseconds=1)
