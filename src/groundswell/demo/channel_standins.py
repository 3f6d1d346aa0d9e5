"""The demo's networks: local stand-ins for Mastodon, Bluesky, Reddit, a review feed,
Twilio and Meta, with customers posting to them, connected through the real connectors.

``make run`` starts them next to the replay so the open networks are visible end to end:
their posts reach the stream with the network's identities and threads, and a reply
from the inbox goes out through the connector registry to the stand-in, which records
it. The polling loop here only feeds the demo; production polling (accounts, leases,
saved cursors, budgets) belongs to the connectors runner.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any

from fastapi import FastAPI

from groundswell.channels.base import Source
from groundswell.channels.bluesky.connector import BlueskyConfig, BlueskyConnector
from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.common.standin import StandinServer
from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.errors import SourceError
from groundswell.channels.feeds.connector import FeedConfig, FeedSource
from groundswell.channels.feeds.standin import FeedStandin
from groundswell.channels.mastodon.connector import MastodonConfig, MastodonConnector
from groundswell.channels.mastodon.standin import MastodonStandin
from groundswell.channels.meta.connector import MetaChannel, MetaConfig
from groundswell.channels.meta.standin import GraphStandin
from groundswell.channels.reddit.connector import RedditConfig, RedditConnector
from groundswell.channels.reddit.standin import RedditStandin
from groundswell.channels.registry import ConnectorRegistry, registry
from groundswell.channels.sms.connector import TwilioConfig, TwilioSms
from groundswell.channels.sms.standin import TwilioStandin
from groundswell.channels.webhook.connector import GenericWebhook, GenericWebhookConfig
from groundswell.ingestion.formats import Accepted, validate_items
from groundswell.ingestion.service import submit_posts, validation_context

log = logging.getLogger(__name__)

DEMO_WEBHOOK_SECRET = b"demo-webhook-secret"
"""The generic webhook's secret in the demo only (documented, not a credential)."""

LINES = [
    ("ana", "my bag never made it to Lisbon and nobody answers the phone"),
    ("bo", "crew on the Porto flight today were brilliant, thank you"),
    ("cy", "third delay this month. Is there a way to get a refund?"),
    ("dee", "the app logged me out and my boarding pass is gone"),
    ("eli", "any news on the strike next week? I fly on Tuesday"),
    ("fay", "seat 14C has no power socket again"),
]


class DemoChannels:
    """Start with ``start()``; ``stop()`` stops the stand-ins and the feeder."""

    def __init__(
        self,
        app: FastAPI,
        *,
        interval: float = 20.0,
        connectors: ConnectorRegistry | None = None,
    ) -> None:
        self.app = app
        self.interval = interval
        self.connectors = connectors or registry
        self.stop_event = threading.Event()
        self.mastodon = MastodonStandin()
        self.bluesky = BlueskyStandin()
        self.reddit = RedditStandin()
        self.feed = FeedStandin()
        self.twilio = TwilioStandin()
        self.graph = GraphStandin()
        self.sources: list[Source] = []
        self.cursors: dict[str, str | None] = {}
        self.published = 0
        self.rounds = 0
        self._lines = itertools.cycle(LINES)
        self.thread = threading.Thread(
            target=self._run, name="groundswell-demo-channels", daemon=True
        )

    @property
    def standins(self) -> list[StandinServer]:
        return [self.mastodon, self.bluesky, self.reddit, self.feed, self.twilio, self.graph]

    def start(self) -> None:
        for server in self.standins:
            server.start()
        mastodon = MastodonConnector(
            MastodonConfig(base_url=self.mastodon.url, access_token=self.mastodon.token)
        )
        bluesky = BlueskyConnector(
            BlueskyConfig(
                base_url=self.bluesky.url,
                identifier=self.bluesky.account_handle,
                app_password=self.bluesky.password,
            )
        )
        reddit = RedditConnector(
            RedditConfig(
                client_id=self.reddit.client_id,
                client_secret=self.reddit.client_secret,
                username=self.reddit.username,
                password=self.reddit.password,
                subreddits=("acmeair",),
                oauth_url=self.reddit.url,
                reddit_url=self.reddit.url,
            )
        )
        feed = FeedSource(FeedConfig(url=self.feed.url + "/feed.xml", channel="reviews"))
        self.sources = [mastodon, bluesky, reddit, feed]
        for connector in (mastodon, bluesky, reddit):
            self.connectors.register(connector)
        self._register_webhooks()
        self.thread.start()

    def _register_webhooks(self) -> None:
        hooks = getattr(self.app.state, "webhooks", None)
        if not isinstance(hooks, WebhookRegistry):
            hooks = WebhookRegistry()
            self.app.state.webhooks = hooks
        hooks.register(GenericWebhook(GenericWebhookConfig(secret=DEMO_WEBHOOK_SECRET)))
        sms = TwilioSms(
            TwilioConfig(
                account_sid=self.twilio.account_sid,
                auth_token=self.twilio.auth_token,
                from_number=self.twilio.number,
                webhook_url="http://127.0.0.1:8000/api/v1/webhooks/sms",
                api_base=self.twilio.url,
            )
        )
        hooks.register(sms)
        self.connectors.register(sms)
        meta = MetaChannel(
            MetaConfig(
                app_secret=self.graph.app_secret,
                verify_token="demo-verify-token",  # noqa: S106
                page_access_token=self.graph.page_token,
                graph_url=self.graph.url,
            )
        )
        hooks.register(meta)
        self.connectors.register(meta)

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

    def poll_once(self) -> int:
        settings = self.app.state.settings
        published = 0
        for source in self.sources:
            try:
                page = source.fetch(self.cursors.get(source.key))
            except SourceError as exc:
                log.warning("demo source %s failed: %s", source.key, exc.reason)
                continue
            if page.posts:
                items: list[object] = list(page.posts)
                parsed = validate_items(items, context=validation_context(settings))
                posts = [r.post for r in parsed if isinstance(r, Accepted)]
                submit_posts(self.app.state.broker, settings, posts)
                published += len(posts)
            self.cursors[source.key] = page.cursor
        self.published += published
        return published

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.customers_post()
                self.poll_once()
            except Exception:  # the demo's networks must never stop the app
                log.exception("demo channels round failed")
            self.rounds += 1
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
        for server in self.standins:
            server.stop()

    def status(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "standins": {s.name: s.url for s in self.standins},
            "cursors": dict(self.cursors),
            "at": time.time(),
        }
