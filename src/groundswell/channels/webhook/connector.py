"""The generic JSON webhook: HMAC-SHA256 signed, timestamped, replay-checked.

A sender signs ``"<unix time>.<raw body>"`` with the shared secret and sends
``X-Groundswell-Timestamp: <unix time>``, ``X-Groundswell-Signature: sha256=<hex>``
(several, comma-separated, during a secret rotation) and a unique
``X-Groundswell-Delivery`` id — the scheme Groundswell's alert webhooks send.
Deliveries older or newer than the tolerance are refused (replay of a captured request),
as is a delivery id already seen.
The body is ``{"events": [...]}`` of ``post`` events (``InboundPost``-shaped) and
``touchpoint`` events; a malformed event is refused alone (named by index and field).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from groundswell.channels.base import WebhookRejected
from groundswell.channels.common.results import Refusal, preview, validation_reason
from groundswell.channels.common.signatures import sign_timestamped, verify_timestamped
from groundswell.channels.common.webhooks import ReplayGuard
from groundswell.channels.webhook.schemas import AnyEvent, Envelope, PostEvent
from groundswell.channels.webhook.touchpoints import touchpoint_to_post

SIGNATURE_HEADER = "x-groundswell-signature"
TIMESTAMP_HEADER = "x-groundswell-timestamp"
DELIVERY_HEADER = "x-groundswell-delivery"


@dataclass
class GenericWebhookConfig:
    secret: bytes
    channel: str = "webhook"
    tolerance_seconds: int = 300
    max_body_bytes: int = 1024 * 1024
    clock: Callable[[], float] = field(default=time.time)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


class GenericWebhook:
    """A ``WebhookSource``; ``last_refusals`` keeps the events refused in the last call."""

    def __init__(self, config: GenericWebhookConfig, *, replay: ReplayGuard | None = None) -> None:
        self.config = config
        self.key = config.channel
        self.max_body_bytes = config.max_body_bytes
        self.replay = replay or ReplayGuard(window=2 * config.tolerance_seconds)
        self.last_refusals: list[Refusal] = []

    def verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """Check size, signature, timestamp and delivery id; returns the delivery id."""
        if len(body) > self.config.max_body_bytes:
            raise WebhookRejected(f"body exceeds {self.config.max_body_bytes} bytes", status=413)
        raw_time = (_header(headers, TIMESTAMP_HEADER) or "").strip()
        signature = _header(headers, SIGNATURE_HEADER)
        if not raw_time.isdigit() or len(raw_time) > 12 or not signature:
            raise WebhookRejected(
                "missing or malformed X-Groundswell-Timestamp or X-Groundswell-Signature",
                status=401,
            )
        timestamp = int(raw_time)
        if not verify_timestamped(self.config.secret, timestamp, body, signature):
            raise WebhookRejected("signature does not match the body", status=401)
        skew = abs(self.config.clock() - timestamp)
        if skew > self.config.tolerance_seconds:
            raise WebhookRejected(
                f"timestamp is {int(skew)} s away; the tolerance is "
                f"{self.config.tolerance_seconds} s",
                status=401,
            )
        delivery = (_header(headers, DELIVERY_HEADER) or "").strip()
        if not delivery or len(delivery) > 200:
            raise WebhookRejected("missing or overlong X-Groundswell-Delivery id", status=400)
        return delivery

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        self.last_refusals = []
        delivery = self.verify(headers, body)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise WebhookRejected(f"malformed JSON: {exc}") from exc
        try:
            envelope = Envelope.model_validate(doc)
        except ValidationError as exc:
            raise WebhookRejected(f"envelope {validation_reason(exc)}", status=422) from exc
        self.replay.check_and_remember(f"{self.key}:{delivery}")
        posts: list[dict[str, Any]] = []
        for index, raw in enumerate(envelope.events):
            try:
                event = AnyEvent.model_validate(raw).root
            except ValidationError as exc:
                self.last_refusals.append(
                    Refusal(f"{delivery}#{index}", validation_reason(exc), preview(raw))
                )
                continue
            if isinstance(event, PostEvent):
                post = dict(event.data)
                post.setdefault("channel", self.key)
                posts.append(post)
            else:
                posts.append(touchpoint_to_post(event.data))
        if not posts and self.last_refusals:
            first = self.last_refusals[0]
            raise WebhookRejected(f"no valid event: {first.ref}: {first.reason}", status=422)
        return posts


def signed_headers(secret: bytes, body: bytes, *, timestamp: int, delivery: str) -> dict[str, str]:
    """The headers a sender puts on a delivery (tests, the bench and the docs' recipe)."""
    return {
        "Content-Type": "application/json",
        "X-Groundswell-Timestamp": str(timestamp),
        "X-Groundswell-Signature": sign_timestamped(secret, timestamp, body),
        "X-Groundswell-Delivery": delivery,
    }
