"""The demo's networks: customers post on the stand-ins, the connectors bring the posts
in with their threads, and a reply goes out through the registry to the stand-in."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

from groundswell.channels.base import Reply
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.migrate import upgrade
from groundswell.demo.channel_standins import DemoChannels
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from gs_testing import make_settings


def test_demo_networks_feed_the_pipeline_and_take_replies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gs.db'}"
    upgrade(url)
    settings = make_settings(url)
    broker = MemoryBroker()
    app = SimpleNamespace(state=SimpleNamespace(settings=settings, broker=broker))
    connectors = ConnectorRegistry()
    demo = DemoChannels(app, interval=3600, connectors=connectors)  # type: ignore[arg-type]
    demo.start()
    try:
        for _ in range(3000):  # the first round runs in the demo's thread at start
            if demo.rounds:
                break
            time.sleep(0.01)
        assert demo.rounds == 1 and demo.published > 0
        demo.customers_post()
        demo.poll_once()
        assert demo.poll_once() == 0  # cursors saved: nothing read twice
        stream = posts_stream(settings)
        broker.ensure_group(stream, PROCESS_GROUP)
        messages = broker.read(stream, PROCESS_GROUP, "t", count=1000, block_ms=10)
        posts = [InboundPost.model_validate_json(m.payload) for m in messages]
        channels = {p.channel for p in posts}
        assert {"mastodon", "bluesky", "reddit", "reviews"} <= channels
        replies = [p for p in posts if p.channel == "bluesky" and p.reply_to_external_id]
        assert replies
        assert set(connectors.keys()) == {"bluesky", "facebook", "mastodon", "reddit", "sms"}
        connectors.get("bluesky").send_reply(
            Reply(
                channel="bluesky",
                text="Sorry about that, we are on it.",
                idempotency_key="demo-1",
                in_reply_to_external_id=replies[0].external_id,
            )
        )
        assert demo.bluesky.records[-1]["value"]["reply"]["parent"]["uri"] == (
            replies[0].external_id
        )
        assert {"webhook", "sms", "facebook"} <= set(app.state.webhooks.keys())  # type: ignore[attr-defined]
    finally:
        demo.stop()
