"""SMS through Twilio: inbound webhook checked with ``twilio.request_validator``, outbound
through the Messages REST resource with httpx (a form POST with basic auth, exactly the
request Twilio documents; the full ``twilio`` client cannot be pointed at another host).

Twilio signs ``URL + sorted(name + value)`` with HMAC-SHA1 under the auth token; the URL
is the public one Twilio called, so it is configured (``webhook_url``) rather than
reconstructed behind proxies. Twilio signs no timestamp; a replayed delivery repeats a
``MessageSid`` and is absorbed by the pipeline's idempotence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from groundswell.channels.base import (
    Capabilities,
    Reply,
    SendError,
    SendResult,
    WebhookRejected,
)
from groundswell.channels.common.backoff import retry_after_seconds
from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.common.results import validation_reason
from groundswell.channels.sms.schemas import ApiError, InboundMessage, Message, MessageList
from groundswell.core.http_retry import retrying_transport

MAX_LENGTH = 1600
MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    from_number: str
    webhook_url: str
    """The public URL Twilio posts inbound messages to (part of what it signs)."""
    api_base: str = "https://api.twilio.com"
    channel: str = "sms"
    timeout: float = 10.0


class TwilioSms:
    def __init__(self, config: TwilioConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self.key = config.channel
        self.max_body_bytes = MAX_BODY
        self.validator = RequestValidator(config.auth_token)
        self.http = client or httpx.Client(
            base_url=config.api_base,
            auth=(config.account_sid, config.auth_token),
            timeout=config.timeout,
            transport=retrying_transport(),
        )
        self.guard = OutboundGuard()
        self.guard.install(self.http)

    def bind_settings(self, settings: Any) -> None:
        """Check every request against the admin's allow-list (``common/guard.py``)."""
        self.guard.bind(settings)

    def _messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.config.account_sid}/Messages.json"

    # -- WebhookSource --------------------------------------------------------------------
    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        if len(body) > MAX_BODY:
            raise WebhookRejected(f"body exceeds {MAX_BODY} bytes", status=413)
        signature = next((v for k, v in headers.items() if k.lower() == "x-twilio-signature"), "")
        try:
            params = dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise WebhookRejected(f"body is not form-encoded: {exc}") from exc
        if not signature or not self.validator.validate(self.config.webhook_url, params, signature):
            raise WebhookRejected("X-Twilio-Signature does not match", status=401)
        try:
            message = InboundMessage.model_validate(params)
        except ValidationError as exc:
            raise WebhookRejected(f"message {validation_reason(exc)}", status=422) from exc
        if message.AccountSid != self.config.account_sid:
            raise WebhookRejected("message is for another Twilio account", status=403)
        text = message.Body or (
            f"[{message.NumMedia} media attachment(s)]" if message.NumMedia else ""
        )
        if not text.strip():
            raise WebhookRejected("message has no body and no media", status=422)
        return [
            {
                "channel": self.key,
                "external_id": message.MessageSid,
                "text": text,
                "created_at": datetime.now(UTC).isoformat(),
                "author": {
                    "external_id": message.From,
                    "handle": message.From,
                    "phone": message.From,
                },
                "private": True,
                "raw": {
                    "to": message.To,
                    "country": message.FromCountry,
                    "media": message.NumMedia,
                },
            }
        ]

    # -- Connector ------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(public=False, private=True, max_length=MAX_LENGTH, threading=False)

    def send_reply(self, reply: Reply) -> SendResult:
        if not reply.recipient:
            raise SendError("an SMS needs a recipient number", retryable=False)
        if len(reply.text) > MAX_LENGTH:
            raise SendError(
                f"SMS is {len(reply.text)} characters; the limit is 1600", retryable=False
            )
        form = {"To": reply.recipient, "From": self.config.from_number, "Body": reply.text}
        try:
            response = self.http.post(self._messages_path(), data=form)
        except httpx.HTTPError as exc:
            raise SendError(f"twilio unreachable: {exc}", retryable=True) from exc
        if response.status_code in (200, 201):
            try:
                message = Message.model_validate(response.json())
            except (ValueError, ValidationError) as exc:
                raise SendError(
                    f"twilio answered an unreadable message: {exc}", retryable=False
                ) from exc
            return SendResult(external_id=message.sid)
        raise self._error(response)

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        params = {"To": reply.recipient or "", "From": self.config.from_number, "PageSize": "50"}
        try:
            response = self.http.get(self._messages_path(), params=params)
        except httpx.HTTPError as exc:
            raise SendError(f"twilio unreachable: {exc}", retryable=True) from exc
        if response.status_code != 200:
            raise self._error(response)
        try:
            listing = MessageList.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise SendError(f"unreadable message list: {exc}", retryable=False) from exc
        for item in listing.messages:
            try:
                message = Message.model_validate(item)
            except ValidationError:
                continue
            if message.body == reply.text and message.to == reply.recipient:
                return SendResult(external_id=message.sid)
        return None

    def _error(self, response: httpx.Response) -> SendError:
        try:
            error = ApiError.model_validate(response.json())
            detail = f"{error.code}: {error.message}" if error.code else error.message
        except (ValueError, ValidationError):
            detail = f"HTTP {response.status_code}"
        if response.status_code == 429:
            wait = retry_after_seconds(response.headers) or 60.0
            return SendError(f"rate limited: {detail}", retryable=True, retry_after=wait)
        if response.status_code == 401:
            return SendError(f"needs re-auth: {detail}", retryable=False)
        if response.status_code >= 500:
            return SendError(f"twilio unavailable: {detail}", retryable=True)
        return SendError(f"twilio refused the message: {detail}", retryable=False)
