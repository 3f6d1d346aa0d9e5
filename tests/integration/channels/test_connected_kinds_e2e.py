"""Every open network connected as a channel account and read through the runtime.

Each kind is connected with ``service.create_account`` (what the channels page, the API
and the CLI call) against its stand-in; polled kinds are read by ``ConnectorRunner``
(lease, cursor, budget), webhook kinds are registered by the runner or
``register_configured`` and receive real HTTP posts through the webhook route. Posts are
stored by the app's embedded worker.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from channels_testing import load_fixture, serve_app
from groundswell.app import create_app
from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.common.standin import StandinServer
from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.feeds.standin import FeedStandin
from groundswell.channels.mastodon.standin import MastodonStandin
from groundswell.channels.meta.standin import GraphStandin
from groundswell.channels.models import Channel
from groundswell.channels.reddit.standin import RedditStandin
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.bootstrap import register_configured
from groundswell.channels.runtime.models import ChannelSource
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.channels.sms.standin import TwilioStandin
from groundswell.channels.webhook.connector import signed_headers
from groundswell.channels.youtube.standin import YouTubeStandin
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.ingestion.models import RejectedRecord
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from groundswell.settings import Settings
from groundswell.workers.connectors import ConnectorRunner
from gs_testing import make_settings, migrated_sqlite_url


@dataclass
class Env:
    base: str
    app: Any
    settings: Settings
    db: Database
    hooks: WebhookRegistry
    connectors: ConnectorRegistry

    def connect(self, kind: str, key: str, values: dict[str, Any]) -> None:
        with self.db.session() as s:
            service.create_account(
                s,
                settings=self.settings,
                data=AccountIn(kind=kind, key=key, name=f"{kind} test", settings=values),
            )

    def runner(self) -> ConnectorRunner:
        runner = ConnectorRunner(
            self.settings,
            self.db,
            self.app.state.broker,
            owner="test-runner",
            registry=self.connectors,
            webhooks=self.hooks,
        )
        runner.refresh(start_threads=False)
        return runner

    def stored(self) -> list[tuple[str, str]]:
        """(channel key, text) of every stored interaction, once the worker is idle."""
        state = self.app.state
        assert state.broker.wait_idle(posts_stream(state.settings), PROCESS_GROUP, timeout=30)
        with self.db.session() as s:
            rows = s.execute(
                select(Channel.key, Interaction.text)
                .join(Channel, Channel.id == Interaction.channel_id)
                .order_by(Interaction.id)
            )
            return [(key, text) for key, text in rows]

    def rejections(self) -> list[RejectedRecord]:
        with self.db.session() as s:
            rows = list(s.scalars(select(RejectedRecord).order_by(RejectedRecord.id)))
            s.expunge_all()
            return rows


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    # The test's own runner is the only one reading: the embedded worker's runner would
    # race it for each new source's lease (its refresh can come first: "leased-elsewhere").
    settings = make_settings(url, connectors_enabled=False)
    app = create_app(settings, broker=MemoryBroker())
    hooks = WebhookRegistry()
    app.state.webhooks = hooks
    with serve_app(app) as base:
        db = Database(settings)
        yield Env(base, app, settings, db, hooks, ConnectorRegistry())
        db.dispose()


def _mastodon(server: Any) -> dict[str, Any]:
    server.mention("ana", "my bag never arrived")
    return {"base_url": server.url, "access_token": server.token, "standin": True}


def _bluesky(server: Any) -> dict[str, Any]:
    server.post("bo.bsky.social", "@acme the app logged me out")
    return {
        "base_url": server.url,
        "identifier": server.account_handle,
        "app_password": server.password,
        "standin": True,
    }


def _reddit(server: Any) -> dict[str, Any]:
    server.submission("acmeair", "cy_travels", "Third delay this month", "")
    return {
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "username": server.username,
        "password": server.password,
        "subreddits": ["acmeair"],
        "oauth_url": server.url,
        "reddit_url": server.url,
        "standin": True,
    }


def _feed(server: Any) -> dict[str, Any]:
    server.review("Dee", "Lost boarding pass", "the app lost my boarding pass")
    return {"url": server.url + "/feed.xml", "standin": True}


def _youtube(server: Any) -> dict[str, Any]:
    server.comment("Eli", "any news on the strike?")
    return {
        "channel_id": server.channel_id,
        "access_token": server.token,
        "api_base": server.url,
        "poll_seconds": 60,
        "standin": True,
    }


POLLED: list[tuple[str, str, str, type[StandinServer], Callable[[Any], dict[str, Any]]]] = [
    ("mastodon", "toots", "notifications", MastodonStandin, _mastodon),
    ("bluesky", "skeets", "notifications", BlueskyStandin, _bluesky),
    ("reddit", "reddit", "subreddits", RedditStandin, _reddit),
    ("feed", "reviews", "feed", FeedStandin, _feed),
    ("youtube", "yt", "comments", YouTubeStandin, _youtube),
]


@pytest.mark.parametrize(
    ("kind", "key", "source", "standin", "prepare"), POLLED, ids=[p[0] for p in POLLED]
)
def test_polled_kind_is_read_by_the_runner(
    env: Env,
    kind: str,
    key: str,
    source: str,
    standin: type[StandinServer],
    prepare: Callable[[Any], dict[str, Any]],
) -> None:
    with standin() as server:
        env.connect(kind, key, prepare(server))
        runner = env.runner()
        cycle = runner.cycle(key, source)
        assert cycle.outcome == "published", cycle
        assert cycle.posts >= 1 and cycle.rejected == 0
        assert runner.cycle(key, source).posts == 0  # the saved cursor: nothing read twice
        assert env.connectors.get(key).key == key  # the sender finds it by the account key
    rows = env.stored()
    assert rows and {channel for channel, _text in rows} == {key}
    with env.db.session() as s:
        row = s.scalar(select(ChannelSource).where(ChannelSource.name == source))
        assert row is not None and row.cursor and row.posts_total == cycle.posts
        assert row.lease_owner == "test-runner"


def test_connector_refusals_become_dead_letters(env: Env) -> None:
    with MastodonStandin() as server:
        values = _mastodon(server)
        server.notifications.append({"id": "999999", "type": "mention", "status": {"id": "x"}})
        env.connect("mastodon", "mastodon", values)
        cycle = env.runner().cycle("mastodon", "notifications")
    assert cycle.posts == 1 and cycle.rejected == 1
    (dead,) = env.rejections()
    assert dead.source == "channel:mastodon"
    assert dead.record_ref == "mastodon:notification:999999"
    assert "created_at" in dead.reason and dead.payload and "999999" in dead.payload
    assert len(env.stored()) == 1  # the rest of the page went through


def test_sms_channel_connected_by_the_runner_receives_posts(env: Env) -> None:
    hook = env.base + "/api/v1/webhooks/texts"
    with TwilioStandin() as twilio:
        env.connect(
            "sms",
            "texts",
            {
                "account_sid": twilio.account_sid,
                "auth_token": twilio.auth_token,
                "from_number": twilio.number,
                "webhook_url": hook,
                "api_base": twilio.url,
            },
        )
        runner = env.runner()
        assert env.hooks.keys() == ["texts"]
        answer = twilio.deliver(hook, twilio.inbound_params("+351912345678", "Bag missing"))
        assert answer.status_code == 200, answer.text
        runner.stop()
        assert env.hooks.keys() == []  # a dropped account stops taking posts
    assert env.stored() == [("texts", "Bag missing")]


def test_meta_and_generic_webhook_registered_at_bootstrap(env: Env) -> None:
    secret = "a-long-enough-webhook-secret"
    with GraphStandin() as graph:
        env.connect(
            "meta",
            "facebook",
            {
                "app_secret": graph.app_secret,
                "verify_token": "verify-me-please",
                "page_access_token": graph.page_token,
                "graph_url": graph.url,
            },
        )
        env.connect("webhook", "crm-events", {"secret": secret})
        with env.db.session() as s:
            built = register_configured(
                s, settings=env.settings, registry=env.connectors, webhooks=env.hooks
            )
        assert set(built) == {"facebook", "crm-events"}
        assert env.hooks.keys() == ["crm-events", "facebook"]
        fb = env.base + "/api/v1/webhooks/facebook"
        answer = graph.deliver(fb, load_fixture("meta", "page_feed_comment_add.json"))
        assert answer.status_code == 200, answer.text
    body = orjson.dumps(
        {
            "events": [
                {
                    "type": "post",
                    "data": {
                        "external_id": "evt-1",
                        "text": "Called about a refund",
                        "created_at": "2026-11-20T08:30:00Z",
                        "author": {"external_id": "u1", "display_name": "Fay"},
                    },
                }
            ]
        }
    )
    headers = signed_headers(
        secret.encode(), body, timestamp=int(time.time()), delivery=uuid.uuid4().hex
    )
    posted = httpx.post(env.base + "/api/v1/webhooks/crm-events", content=body, headers=headers)
    assert posted.status_code == 200, posted.text
    rows = env.stored()
    assert {channel for channel, _text in rows} == {"facebook", "crm-events"}
    # a read-only channel refuses a reply with a reason instead of losing it
    assert env.connectors.get("crm-events").capabilities().max_length == 0


def test_skipped_items_are_counted_not_stored(env: Env) -> None:
    with BlueskyStandin() as server:
        values = _bluesky(server)
        server.post("cy.bsky.social", "liked", reason="like")
        env.connect("bluesky", "bluesky", values)
        runner = env.runner()
        cycle = runner.cycle("bluesky", "notifications")
    assert (cycle.posts, cycle.rejected, cycle.ignored) == (1, 0, 1)
    assert runner.ignored == {"bluesky/notifications": 1}
    assert env.rejections() == []
    assert len(env.stored()) == 1
