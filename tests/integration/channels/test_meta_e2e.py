"""Facebook and Instagram end to end: Graph stand-in deliveries through the webhook route
over real HTTP, the subscribe handshake, and replies the Graph API expects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from channels_testing import load_fixture, serve_app
from groundswell.app import create_app
from groundswell.channels.base import Reply, SendError
from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.meta.connector import MetaChannel, MetaConfig
from groundswell.channels.meta.standin import GraphStandin
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from gs_testing import make_settings, migrated_sqlite_url


@pytest.fixture
def graph() -> Iterator[GraphStandin]:
    with GraphStandin() as server:
        yield server  # type: ignore[misc]


def meta(graph: GraphStandin, network: str = "facebook") -> MetaChannel:
    return MetaChannel(
        MetaConfig(
            app_secret=graph.app_secret,
            verify_token="verify-me",
            page_access_token=graph.page_token,
            network=network,  # type: ignore[arg-type]
            graph_url=graph.url,
        )
    )


def test_deliveries_are_stored_in_thread(graph: GraphStandin, tmp_path: Path) -> None:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    settings = make_settings(url)
    app = create_app(settings, broker=MemoryBroker())
    registry = WebhookRegistry()
    registry.register(meta(graph))
    app.state.webhooks = registry
    with serve_app(app) as base:
        hook = base + "/api/v1/webhooks/facebook"
        challenge = httpx.get(
            hook,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": "verify-me",
                "hub.challenge": "42",
            },
        )
        assert challenge.status_code == 200 and challenge.text == "42"
        assert (
            httpx.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": "x"}).status_code
            == 403
        )
        for name in (
            "page_feed_comment_add.json",
            "page_feed_comment_reply.json",
            "page_feed_reaction.json",
        ):
            answer = graph.deliver(hook, load_fixture("meta", name))
            assert answer.status_code == 200, answer.text
        forged = graph.deliver(
            hook, load_fixture("meta", "page_messaging_message.json"), signature="sha256=00"
        )
        assert forged.status_code == 401
        assert app.state.broker.wait_idle(posts_stream(settings), PROCESS_GROUP, timeout=30)
    db = Database(settings)
    with db.session() as s:
        rows = list(s.scalars(select(Interaction).order_by(Interaction.id)))
    db.dispose()
    assert [r.text for r in rows] == [
        "Still waiting for my refund after 3 weeks",
        "@Acme Air any update?",
    ]
    assert rows[1].reply_to_external_id == rows[0].external_id
    assert rows[0].conversation_id == rows[1].conversation_id


def test_replies_reach_the_graph_api_as_documented(graph: GraphStandin) -> None:
    fb = meta(graph)
    result = fb.send_reply(
        Reply(
            channel="facebook",
            text="Sorry Ana, we sent you a message.",
            idempotency_key="a",
            in_reply_to_external_id="987_111",
        )
    )
    (request,) = graph.requests_to("POST", "/v21.0/987_111/comments")
    assert request.form() == {"message": ["Sorry Ana, we sent you a message."]}
    assert request.arg("access_token") == graph.page_token
    assert result.external_id.startswith("111_")
    fb.send_reply(
        Reply(
            channel="facebook",
            text="Here is your voucher.",
            idempotency_key="b",
            visibility="private",
            recipient="6789",
        )
    )
    assert graph.messages == [
        {
            "recipient": {"id": "6789"},
            "messaging_type": "RESPONSE",
            "message": {"text": "Here is your voucher."},
        }
    ]
    meta(graph, "instagram").send_reply(
        Reply(
            channel="instagram",
            text="DM us",
            idempotency_key="c",
            in_reply_to_external_id="17865799348089039",
        )
    )
    assert graph.requests_to("POST", "/v21.0/17865799348089039/replies")
    with pytest.raises(SendError) as err:
        fb.lookup_sent(Reply(channel="facebook", text="x", idempotency_key="d"))
    assert not err.value.retryable
    graph.token_expired = True
    with pytest.raises(SendError) as err:
        fb.send_reply(
            Reply(channel="facebook", text="x", idempotency_key="e", in_reply_to_external_id="1_2")
        )
    assert err.value.reason.startswith("needs re-auth") and not err.value.retryable
