"""One test per generic-webhook fixture, each delivered signed; plus forged and replayed."""

from __future__ import annotations

import pytest

from channels_testing import fixture_bytes, fixture_names
from groundswell.channels.base import WebhookRejected
from groundswell.channels.webhook.connector import (
    GenericWebhook,
    GenericWebhookConfig,
    signed_headers,
)
from groundswell.ingestion.schemas import InboundPost

SECRET = b"whsec-test"
NOW = 1_763_630_000
TESTED = {
    "post_event.json",
    "touchpoint_call.json",
    "touchpoint_store_visit.json",
    "touchpoint_survey.json",
    "mixed_with_invalid_events.json",
}


def hook() -> GenericWebhook:
    return GenericWebhook(GenericWebhookConfig(secret=SECRET, clock=lambda: NOW))


def deliver(
    source: GenericWebhook, name: str, *, delivery: str = "d1", at: int = NOW
) -> list[InboundPost]:
    body = fixture_bytes("webhook", name)
    headers = signed_headers(SECRET, body, timestamp=at, delivery=delivery)
    return [InboundPost.model_validate(p) for p in source.parse_webhook(headers, body)]


def test_every_fixture_has_a_test() -> None:
    assert set(fixture_names("webhook")) == TESTED


def test_post_event() -> None:
    (post,) = deliver(hook(), "post_event.json")
    assert post.channel == "helpdesk" and post.author.email == "dana@example.com"


def test_touchpoint_call() -> None:
    (post,) = deliver(hook(), "touchpoint_call.json")
    assert post.channel == "call"
    assert post.text == "Call (6 min): Asked about rebooking; offered a voucher."
    assert post.author.phone == "+351912345678" and post.author.external_id == "+351912345678"


def test_touchpoint_store_visit() -> None:
    (post,) = deliver(hook(), "touchpoint_store_visit.json")
    assert post.channel == "store_visit"
    assert post.text == "Store visit at Lisbon airport desk T1: Picked up delayed bag."
    assert post.author.email == "ana@example.com"


def test_touchpoint_survey() -> None:
    (post,) = deliver(hook(), "touchpoint_survey.json")
    assert post.text == "Survey NPS November: score 3/10. Bag came back but it took three days."
    assert post.raw == {"touchpoint": "survey", "survey": "NPS November", "score": 3}


def test_mixed_with_invalid_events_keeps_the_valid_one() -> None:
    source = hook()
    (post,) = deliver(source, "mixed_with_invalid_events.json")
    assert post.external_id == "call-20261120-0042"
    reasons = [(r.ref, r.reason) for r in source.last_refusals]
    assert reasons[0][0] == "d1#1" and "needs external_id, email or phone" in reasons[0][1]
    assert reasons[1][0] == "d1#2" and "tag 'refund'" in reasons[1][1]


def test_forged_stale_and_replayed_deliveries_are_refused() -> None:
    source = hook()
    body = fixture_bytes("webhook", "touchpoint_call.json")
    forged = signed_headers(b"wrong", body, timestamp=NOW, delivery="f1")
    with pytest.raises(WebhookRejected, match="signature does not match") as err:
        source.parse_webhook(forged, body)
    assert err.value.status == 401
    with pytest.raises(WebhookRejected, match="tolerance"):
        deliver(source, "touchpoint_call.json", at=NOW - 3600)
    deliver(source, "touchpoint_call.json", delivery="once")
    with pytest.raises(WebhookRejected, match="already received") as err:
        deliver(source, "touchpoint_call.json", delivery="once")
    assert err.value.status == 409
    with pytest.raises(WebhookRejected, match="missing or malformed"):
        source.parse_webhook({}, body)
