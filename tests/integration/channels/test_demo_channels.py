"""The demo's networks: each is a channel account pointed at its stand-in, the connector
runner reads them, and a reply goes out through the connector registry to the stand-in."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from groundswell.channels.base import Reply
from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.registry import ConnectorRegistry, registry
from groundswell.channels.runtime import service
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.demo.channel_standins import DemoChannels
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from groundswell.workers.connectors import ConnectorRunner
from gs_testing import make_settings, migrated_sqlite_url

POLLED = {
    "mastodon": "notifications",
    "bluesky": "notifications",
    "reddit": "subreddits",
    "reviews": "feed",
    "youtube": "comments",
}


def test_demo_networks_are_connected_channels_read_by_the_runner(tmp_path: Path) -> None:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    settings = make_settings(url, outbound_allow_hosts="127.0.0.1")  # as `make run` does
    broker = MemoryBroker()
    db = Database(settings)
    hooks = WebhookRegistry()
    app = SimpleNamespace(
        state=SimpleNamespace(settings=settings, broker=broker, db=db, webhooks=hooks)
    )
    connectors = registry  # the process-wide registry the reply sender uses
    demo = DemoChannels(app, interval=3600)  # type: ignore[arg-type]
    assert demo.connectors is registry
    demo.start()
    try:
        with db.session() as s:
            accounts = {a.key: a for a in service.list_accounts(s, settings=settings)}
        assert set(accounts) == {*POLLED, "sms", "facebook", "webhook"}
        assert all(a.standin and a.enabled for a in accounts.values())
        assert hooks.keys() == ["facebook", "sms", "webhook"]
        assert {*POLLED, "sms", "facebook"} <= set(connectors.keys())

        demo.customers_post()
        runner = ConnectorRunner(settings, db, broker, webhooks=hooks)
        runner.refresh(start_threads=False)
        for key, source in POLLED.items():
            assert runner.cycle(key, source).outcome == "published", key
            assert runner.cycle(key, source).posts == 0  # the cursor is saved
        runner.cycle("bluesky", "jetstream")  # connects at the live tail
        demo.customers_post()
        firehose = [runner.cycle("bluesky", "jetstream").posts for _ in range(5)]
        assert sum(firehose) == 1
        stream = posts_stream(settings)
        broker.ensure_group(stream, PROCESS_GROUP)
        messages = broker.read(stream, PROCESS_GROUP, "t", count=1000, block_ms=10)
        posts = [InboundPost.model_validate_json(m.payload) for m in messages]
        assert set(POLLED) <= {p.channel for p in posts}
        assert [p for p in posts if p.channel == "bluesky" and p.reply_to_external_id]

        sent: dict[str, str] = {}
        for key in ("mastodon", "bluesky", "reddit"):
            post = next(p for p in posts if p.channel == key)
            sent[key] = post.external_id
            result = connectors.get(key).send_reply(
                Reply(
                    channel=key,
                    text="Sorry about that, we are on it.",
                    idempotency_key=f"demo-{key}",
                    in_reply_to_external_id=post.external_id,
                )
            )
            assert result.external_id
        assert demo.bluesky.records[-1]["value"]["reply"]["parent"]["uri"] == sent["bluesky"]
        (toot,) = demo.mastodon.requests_to("POST", "/api/v1/statuses")
        assert toot.form()["in_reply_to_id"] == [sent["mastodon"]]
        (comment,) = [r for r in demo.reddit.requests if r.path.rstrip("/") == "/api/comment"]
        assert comment.form()["thing_id"] == [sent["reddit"]]
        runner.stop()
    finally:
        demo.stop()
        db.dispose()
        for key in demo.keys:
            registry.unregister(key)


def test_a_second_start_repoints_the_same_channels(tmp_path: Path) -> None:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    settings = make_settings(url)
    db = Database(settings)
    app = SimpleNamespace(
        state=SimpleNamespace(
            settings=settings, broker=MemoryBroker(), db=db, webhooks=WebhookRegistry()
        )
    )
    for _ in range(2):  # each run's stand-ins listen on new ports
        demo = DemoChannels(app, interval=3600, connectors=ConnectorRegistry())  # type: ignore[arg-type]
        demo.start()
        last_url = demo.mastodon.url
        demo.stop()
    with db.session() as s:
        accounts = service.list_accounts(s, settings=settings)
        assert len(accounts) == 8
        mastodon = service.get_account(s, key="mastodon")
        assert service.resolved_settings(mastodon, settings)["base_url"].startswith(last_url)
    db.dispose()


def test_demo_sms_webhook_url_follows_the_served_address(tmp_path: Path) -> None:
    from urllib.parse import urlencode

    from groundswell.core.serving import with_serving_url

    url = migrated_sqlite_url(tmp_path / "gs.db")
    settings = with_serving_url(make_settings(url), "0.0.0.0", 8123)
    db = Database(settings)
    hooks = WebhookRegistry()
    app = SimpleNamespace(
        state=SimpleNamespace(settings=settings, broker=MemoryBroker(), db=db, webhooks=hooks)
    )
    demo = DemoChannels(app, interval=3600, connectors=ConnectorRegistry())  # type: ignore[arg-type]
    demo.start()
    try:
        hook = "http://127.0.0.1:8123/api/v1/webhooks/sms"
        with db.session() as s:
            sms = service.get_account(s, key="sms")
            assert service.resolved_settings(sms, settings)["webhook_url"] == hook
        params = demo.twilio.inbound_params("+351912345678", "Bag missing")
        signed = {"X-Twilio-Signature": demo.twilio.signature(hook, params)}
        source = hooks.get("sms")
        assert source is not None
        (post,) = source.parse_webhook(signed, urlencode(params).encode())
        assert post["text"] == "Bag missing"
    finally:
        demo.stop()
        db.dispose()
