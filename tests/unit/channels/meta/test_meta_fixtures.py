"""One test per Meta fixture: Page and Instagram webhook notifications (each signed with
the app secret as Meta signs them) and Graph API answers."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from channels_testing import fixture_bytes, fixture_names, load_fixture
from groundswell.channels.base import WebhookRejected
from groundswell.channels.meta.connector import MetaChannel, MetaConfig
from groundswell.channels.meta.schemas import GraphError
from groundswell.ingestion.schemas import InboundPost

SECRET = "app-secret"
TESTED = {
    "page_feed_comment_add.json",
    "page_feed_comment_reply.json",
    "page_feed_reaction.json",
    "page_feed_comment_missing_ids.json",
    "page_messaging_message.json",
    "page_messaging_echo.json",
    "instagram_comments.json",
    "instagram_messaging_message.json",
    "graph_comment_created.json",
    "graph_send_api_response.json",
    "graph_error_expired_token.json",
    "graph_error_rate_limit.json",
}


def channel(network: str = "facebook") -> MetaChannel:
    return MetaChannel(
        MetaConfig(app_secret=SECRET, verify_token="vt", page_access_token="t", network=network)  # type: ignore[arg-type]
    )


def deliver(name: str, source: MetaChannel | None = None) -> list[InboundPost]:
    body = fixture_bytes("meta", name)
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    posts = (source or channel()).parse_webhook({"X-Hub-Signature-256": signature}, body)
    return [InboundPost.model_validate(p) for p in posts]


def test_every_fixture_has_a_test() -> None:
    assert set(fixture_names("meta")) == TESTED


def test_page_feed_comment_add() -> None:
    (post,) = deliver("page_feed_comment_add.json")
    assert post.external_id == "987654321012345_1122334455667788"
    assert post.reply_to_external_id == "104338302310284_987654321012345"
    assert post.author.external_id == "7501112223334445" and post.author.handle == "Ana Ruiz"
    assert post.private is False  # a comment on the page is public


def test_page_feed_comment_reply() -> None:
    (post,) = deliver("page_feed_comment_reply.json")
    assert post.reply_to_external_id == "987654321012345_1122334455667788"


def test_page_feed_reaction_is_skipped() -> None:
    assert deliver("page_feed_reaction.json") == []


def test_page_feed_comment_missing_ids_is_refused_alone() -> None:
    source = channel()
    assert deliver("page_feed_comment_missing_ids.json", source) == []
    (refusal,) = source.last_refusals
    assert refusal.ref == "entry#0.changes#0" and "comment_id" in refusal.reason


def test_page_messaging_message() -> None:
    (post,) = deliver("page_messaging_message.json")
    assert post.external_id == "m_1457764197618:41d102a3e1ae206a38"
    assert post.author.external_id == "6789012345678901"
    assert post.raw == {"kind": "message", "page": "104338302310284"}
    assert post.channel == "facebook" and post.private is True  # Messenger: one-to-one


def test_page_messaging_echo_is_skipped() -> None:
    assert deliver("page_messaging_echo.json") == []


def test_instagram_comments() -> None:
    (post,) = deliver("instagram_comments.json", channel("instagram"))
    assert post.channel == "instagram" and post.author.handle == "@ana.travels"
    assert post.reply_to_external_id == "18050000000000000"


def test_instagram_messaging_message() -> None:
    (post,) = deliver("instagram_messaging_message.json", channel("instagram"))
    assert post.text == "do you ship lost bags to hotels?"
    assert post.private is True


def test_graph_comment_created() -> None:
    assert load_fixture("meta", "graph_comment_created.json")["id"].count("_") == 1


def test_graph_send_api_response() -> None:
    assert load_fixture("meta", "graph_send_api_response.json")["message_id"].startswith("m_")


def test_graph_error_expired_token() -> None:
    error = GraphError.model_validate(
        load_fixture("meta", "graph_error_expired_token.json")["error"]
    )
    assert error.code == 190 and error.error_subcode == 463


def test_graph_error_rate_limit() -> None:
    error = GraphError.model_validate(load_fixture("meta", "graph_error_rate_limit.json")["error"])
    assert error.code == 32


def test_forged_signature_and_handshake() -> None:
    body = fixture_bytes("meta", "page_feed_comment_add.json")
    with pytest.raises(WebhookRejected) as err:
        channel().parse_webhook({"X-Hub-Signature-256": "sha256=" + "0" * 64}, body)
    assert err.value.status == 401
    params = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert channel().verify_subscription(params) == "1158201444"
    with pytest.raises(WebhookRejected):
        channel().verify_subscription({**params, "hub.verify_token": "guess"})
