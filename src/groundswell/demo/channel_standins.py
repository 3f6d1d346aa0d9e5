"""The demo's networks: local stand-ins for Mastodon, Bluesky, Reddit, a review feed,
YouTube, Twilio, Meta and Bluesky's Jetstream firehose, with customers posting to them,
connected as channel accounts.

``make run`` starts them next to the replay and connects (or re-points) one channel
account per network to its stand-in, exactly as an admin would on the channels page, so
the real connector runner reads them with leases, saved cursors, budgets and back-off,
and the channels page lists them as "local stand-in". Their posts reach the stream with
the network's identities and threads; a reply from the inbox goes out through the
process-wide connector registry to the stand-in, which records it. The webhook channels
(SMS, Meta, the generic webhook) are registered for ``POST /api/v1/webhooks/<key>``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any

from fastapi import FastAPI

from groundswell.channels.bluesky.jetstream_standin import JetstreamStandin
from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.common.standin import StandinServer
from groundswell.channels.common.webhooks import WebhookRegistry, webhooks
from groundswell.channels.feeds.standin import FeedStandin
from groundswell.channels.mastodon.standin import MastodonStandin
from groundswell.channels.meta.standin import GraphStandin
from groundswell.channels.reddit.standin import RedditStandin
from groundswell.channels.registry import ConnectorRegistry, registry
from groundswell.channels.runtime.bootstrap import register_configured
from groundswell.channels.sms.standin import TwilioStandin
from groundswell.channels.youtube.standin import YouTubeStandin
from groundswell.core.outbound import OutboundPolicy
from groundswell.demo.channels import connect_account

log = logging.getLogger(__name__)

DEMO_WEBHOOK_SECRET = b"demo-webhook-secret"
"""The generic webhook's secret in the demo only (documented, not a credential)."""
DEMO_VERIFY_TOKEN = "demo-verify-token"  # noqa: S105 - the demo's Meta handshake token

STORIES = {
    "ana": (
        "my bag never made it to Lisbon and nobody answers the phone",
        "day three without my bag in Lisbon, the tracking page still says located",
        "finally a call back about my bag, it is in Madrid apparently",
        "bag delivered to the hotel this morning, thanks to whoever chased it",
    ),
    "bo": (
        "crew on the Porto flight today were brilliant, thank you",
        "booked Porto again for May, the fares were better than I expected",
        "lounge in Porto was packed but the staff kept the coffee coming",
        "is the Porto route daily in summer? I would love an earlier flight",
    ),
    "cy": (
        "third delay this month. Is there a way to get a refund?",
        "filled in the refund form twice, no confirmation email either time",
        "delayed again tonight, two hours at the gate with no update",
        "refund approved after six weeks. Took far too long",
    ),
    "dee": (
        "the app logged me out and my boarding pass is gone",
        "the app update fixed the login but now it will not show my seat",
        "had to print the boarding pass at the airport because the app crashed",
        "the app works again, boarding pass in the wallet this time",
    ),
    "eli": (
        "any news on the strike next week? I fly on Tuesday",
        "will I be rebooked automatically if the Tuesday flight is cancelled?",
        "got the strike email but it says nothing about connecting flights",
        "flight on Tuesday is still on, thanks for the clear update",
    ),
    "fay": (
        "seat 14C has no power socket again",
        "the wifi on the evening flight to Berlin did not work at all",
        "paid for extra legroom and got a seat that does not recline",
        "asked for a vegetarian meal, there was none on board",
    ),
}
"""Each customer's story, a chapter a round: one person per round, on every network (so
the identity matcher has the same words to find), and the next chapter six rounds later.
Most of it complaints, some praise and questions, as a brand's mentions go."""
LINES = [(who, story[i]) for i in range(4) for who, story in STORIES.items()]


ROUND_EVERY = 120.0
"""Seconds between the customers' rounds (nine posts, one or two on each network).

About four posts a minute beside the replay's forty, most of them complaints: these
networks are a small share of a brand's traffic, as in life. Every 20 s they added 33
posts a minute (20 negative) from the demo's first minute, which the day of history
never held, and the spike detector rightly called the doubled complaints a surge."""


class DemoChannels:
    """Start with ``start()``; ``stop()`` stops the stand-ins and the customers."""

    def __init__(
        self,
        app: FastAPI,
        *,
        interval: float = ROUND_EVERY,
        connectors: ConnectorRegistry | None = None,
    ) -> None:
        self.app = app
        self.interval = interval
        self.connectors = connectors if connectors is not None else registry
        self.stop_event = threading.Event()
        self.mastodon = MastodonStandin()
        self.bluesky = BlueskyStandin()
        self.jetstream = JetstreamStandin(self.bluesky)
        self.reddit = RedditStandin()
        self.feed = FeedStandin()
        self.twilio = TwilioStandin()
        self.graph = GraphStandin()
        self.youtube = YouTubeStandin()
        self.keys: list[str] = []
        self.rounds = 0
        self._lines = itertools.cycle(LINES)
        self.thread = threading.Thread(
            target=self._run, name="groundswell-demo-channels", daemon=True
        )

    @property
    def standins(self) -> list[StandinServer]:
        return [
            self.mastodon,
            self.bluesky,
            self.reddit,
            self.feed,
            self.youtube,
            self.twilio,
            self.graph,
        ]

    def accounts(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        """(kind, key, name, settings) of each demo channel, pointing at this run's stand-ins.

        The SMS webhook URL (which Twilio's signature covers) is this server's
        ``public_url``, which ``serve`` sets from its host and port unless configured."""
        public = str(self.app.state.settings.public_url).rstrip("/")
        return [
            (
                "mastodon",
                "mastodon",
                "Mastodon (local stand-in)",
                {
                    "base_url": self.mastodon.url,
                    "access_token": self.mastodon.token,
                    "poll_seconds": 5,
                    "standin": True,
                },
            ),
            (
                "bluesky",
                "bluesky",
                "Bluesky (local stand-in)",
                {
                    "base_url": self.bluesky.url,
                    "identifier": self.bluesky.account_handle,
                    "app_password": self.bluesky.password,
                    "poll_seconds": 5,
                    "jetstream_url": self.jetstream.url,
                    "standin": True,
                },
            ),
            (
                "reddit",
                "reddit",
                "Reddit r/acmeair (local stand-in)",
                {
                    "client_id": self.reddit.client_id,
                    "client_secret": self.reddit.client_secret,
                    "username": self.reddit.username,
                    "password": self.reddit.password,
                    "subreddits": ["acmeair"],
                    "oauth_url": self.reddit.url,
                    "reddit_url": self.reddit.url,
                    "poll_seconds": 5,
                    "standin": True,
                },
            ),
            (
                "feed",
                "reviews",
                "Review feed (local stand-in)",
                {"url": self.feed.url + "/feed.xml", "poll_seconds": 10, "standin": True},
            ),
            (
                "youtube",
                "youtube",
                "YouTube comments (local stand-in)",
                {
                    "channel_id": self.youtube.channel_id,
                    "access_token": self.youtube.token,
                    "api_base": self.youtube.url,
                    "poll_seconds": 60,
                    "standin": True,
                },
            ),
            (
                "sms",
                "sms",
                "SMS via Twilio (local stand-in)",
                {
                    "account_sid": self.twilio.account_sid,
                    "auth_token": self.twilio.auth_token,
                    "from_number": self.twilio.number,
                    "webhook_url": f"{public}/api/v1/webhooks/sms",
                    "api_base": self.twilio.url,
                    "standin": True,
                },
            ),
            (
                "meta",
                "facebook",
                "Facebook page (local stand-in)",
                {
                    "app_secret": self.graph.app_secret,
                    "verify_token": DEMO_VERIFY_TOKEN,
                    "page_access_token": self.graph.page_token,
                    "graph_url": self.graph.url,
                    "standin": True,
                },
            ),
            (
                "webhook",
                "webhook",
                "Generic webhook (demo secret)",
                {"secret": DEMO_WEBHOOK_SECRET.decode(), "standin": True},
            ),
        ]

    def start(self) -> None:
        for server in self.standins:
            server.live_clock = True  # the demo's customers post now, not on a test clock
            server.start()
        self.jetstream.__enter__()
        db, settings = self.app.state.db, self.app.state.settings
        if (
            "127.0.0.1"
            not in OutboundPolicy.from_setting(settings.outbound_allow_hosts).allow_hosts
        ):
            log.warning(
                "the Jetstream stand-in runs on 127.0.0.1, which GROUNDSWELL_OUTBOUND_ALLOW_HOSTS "
                "does not allow: the bluesky channel's jetstream source will report the "
                "outbound guard's refusal"
            )
        for kind, key, name, values in self.accounts():
            connect_account(db, settings, kind=kind, key=key, name=name, values=values)
            self.keys.append(key)
        # The sender and the webhook route of this process see the channels at once; the
        # connector runner reads the polled ones on its next refresh.
        hooks = getattr(self.app.state, "webhooks", None)
        with db.session() as session:
            register_configured(
                session,
                settings=settings,
                registry=self.connectors,
                webhooks=hooks if isinstance(hooks, WebhookRegistry) else webhooks,
            )
        self.thread.start()

    def customers_post(self) -> None:
        """One new post on each open network (a thread continues on Mastodon and Bluesky)."""
        who, text = next(self._lines)
        note = self.mastodon.mention(who, text)
        self.mastodon.mention(
            who, "still waiting for an answer", in_reply_to_id=note["status"]["id"]
        )
        first = self.bluesky.post(f"{who}.bsky.social", f"@acme {text}")
        self.bluesky.post(f"{who}.bsky.social", "@acme any update?", reply_to=first["uri"])
        link = self.reddit.submission("acmeair", f"{who}_travels", text.capitalize(), "")
        self.reddit.comment(link, "frequent_flyer", "same thing happened to me")
        self.feed.review(who.title(), text.split(",")[0].capitalize(), text)
        self.youtube.comment(who.title(), text)
        self.jetstream.post(f"{who}.bsky.social", f"@acme {text}", mention=self.bluesky.did)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.customers_post()
            except Exception:  # the demo's networks must never stop the app
                log.exception("demo channels round failed")
            self.rounds += 1
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
        for server in self.standins:
            server.stop()
        self.jetstream.__exit__()

    def status(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "channels": list(self.keys),
            "standins": {s.name: s.url for s in self.standins} | {"jetstream": self.jetstream.url},
            "at": time.time(),
        }
