"""One test per Twilio fixture: inbound webhook parameters (signed here as Twilio signs
them) and REST answers."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from channels_testing import fixture_names, load_fixture
from groundswell.channels.base import WebhookRejected
from groundswell.channels.sms.connector import TwilioConfig, TwilioSms
from groundswell.channels.sms.schemas import ApiError, Message
from groundswell.ingestion.schemas import InboundPost

URL = "https://crm.example.com/api/v1/webhooks/sms"
TOKEN = "12345678901234567890123456789012"
TESTED = {
    "inbound_sms.json",
    "inbound_mms_no_body.json",
    "inbound_missing_fields.json",
    "message_created.json",
    "error_invalid_to.json",
    "error_too_many_requests.json",
}
SMS = TwilioSms(
    TwilioConfig(
        account_sid="AC00000000000000000000000000000001",
        auth_token=TOKEN,
        from_number="+15005550006",
        webhook_url=URL,
    )
)


def deliver(name: str, *, token: str = TOKEN) -> list[dict[str, object]]:
    params = load_fixture("sms", name)
    signature = RequestValidator(token).compute_signature(URL, params)
    body = urlencode(params).encode()
    return SMS.parse_webhook({"X-Twilio-Signature": signature}, body)


def test_every_fixture_has_a_test() -> None:
    assert set(fixture_names("sms")) == TESTED


def test_inbound_sms() -> None:
    (post,) = [InboundPost.model_validate(p) for p in deliver("inbound_sms.json")]
    assert post.external_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert post.author.phone == "+351912345678" and post.author.external_id == "+351912345678"
    assert post.text.startswith("Hi, my booking QX7PLM")
    assert post.private is True
    # Forged: the same body signed with another token.
    with pytest.raises(WebhookRejected) as err:
        deliver("inbound_sms.json", token="not-the-token-000000000000000000")
    assert err.value.status == 401


def test_inbound_mms_no_body() -> None:
    (post,) = deliver("inbound_mms_no_body.json")
    assert post["text"] == "[1 media attachment(s)]"


def test_inbound_missing_fields() -> None:
    with pytest.raises(WebhookRejected) as err:
        deliver("inbound_missing_fields.json")
    assert err.value.status == 422 and "MessageSid" in err.value.reason


def test_message_created() -> None:
    message = Message.model_validate(load_fixture("sms", "message_created.json"))
    assert message.status == "queued" and message.from_ == "+15005550006"


def test_error_invalid_to() -> None:
    assert ApiError.model_validate(load_fixture("sms", "error_invalid_to.json")).code == 21211


def test_error_too_many_requests() -> None:
    error = ApiError.model_validate(load_fixture("sms", "error_too_many_requests.json"))
    assert error.status == 429
