"""Facebook Pages and Instagram through the Graph API, with httpx (Meta's Python SDK is
for the Marketing API; the Pages, Instagram and Send APIs are plain REST).

Inbound: one webhook endpoint per channel. ``X-Hub-Signature-256`` (HMAC-SHA256 of the
raw body under the app secret) is checked first; the subscription handshake answers
``hub.challenge`` when ``hub.verify_token`` matches. Page ``feed`` comments, Instagram
``comments`` and ``messaging`` events become posts; other fields and verbs (likes,
edits, reactions, echoes of our own messages) are skipped, not refused.

Outbound: a public reply goes to ``POST /{comment-id}/comments`` (Facebook) or
``/{comment-id}/replies`` (Instagram); a private one through the Send API
(``POST /me/messages``, ``messaging_type: RESPONSE``, inside the 24-hour window). The
Graph API keeps no idempotency key, and ``lookup_sent`` says it cannot tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from groundswell.channels.base import (
    Capabilities,
    Reply,
    SendError,
    SendResult,
    WebhookRejected,
)
from groundswell.channels.common.backoff import retry_after_seconds
from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.common.results import Refusal, preview, validation_reason
from groundswell.channels.common.signatures import verify_prefixed_sha256
from groundswell.channels.meta.schemas import (
    Change,
    Entry,
    GraphError,
    InstagramComment,
    Messaging,
    Notification,
    PageComment,
)
from groundswell.core.http_retry import retrying_transport

MAX_BODY = 512 * 1024
M = TypeVar("M", bound=BaseModel)
Network = Literal["facebook", "instagram"]


@dataclass(frozen=True, slots=True)
class MetaConfig:
    app_secret: str
    verify_token: str
    page_access_token: str
    network: Network = "facebook"
    channel: str | None = None
    graph_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    timeout: float = 10.0


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


class MetaChannel:
    def __init__(self, config: MetaConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self.key = config.channel or config.network
        self.max_body_bytes = MAX_BODY
        self.last_refusals: list[Refusal] = []
        self.http = client or httpx.Client(
            base_url=f"{config.graph_url.rstrip('/')}/{config.api_version}",
            timeout=config.timeout,
            transport=retrying_transport(),
        )
        self.guard = OutboundGuard()
        self.guard.install(self.http)

    def bind_settings(self, settings: Any) -> None:
        """Check every request against the admin's allow-list (``common/guard.py``)."""
        self.guard.bind(settings)

    # -- SubscriptionHandshake ------------------------------------------------------------
    def verify_subscription(self, params: Mapping[str, str]) -> str:
        if params.get("hub.mode") != "subscribe":
            raise WebhookRejected("hub.mode is not subscribe", status=400)
        if params.get("hub.verify_token") != self.config.verify_token:
            raise WebhookRejected("hub.verify_token does not match", status=403)
        challenge = params.get("hub.challenge") or ""
        if not challenge or len(challenge) > 200:
            raise WebhookRejected("hub.challenge missing or too long", status=400)
        return challenge

    # -- WebhookSource --------------------------------------------------------------------
    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        self.last_refusals = []
        if len(body) > MAX_BODY:
            raise WebhookRejected(f"body exceeds {MAX_BODY} bytes", status=413)
        signature = next(
            (v for k, v in headers.items() if k.lower() == "x-hub-signature-256"), None
        )
        if not verify_prefixed_sha256(self.config.app_secret.encode(), body, signature):
            raise WebhookRejected("X-Hub-Signature-256 does not match", status=401)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise WebhookRejected(f"malformed JSON: {exc}") from exc
        try:
            note = Notification.model_validate(doc)
        except ValidationError as exc:
            raise WebhookRejected(f"notification {validation_reason(exc)}", status=422) from exc
        if note.kind not in ("page", "instagram"):
            raise WebhookRejected(f"unknown object {note.kind[:32]!r}", status=422)
        posts: list[dict[str, Any]] = []
        for e_index, raw_entry in enumerate(note.entry):
            ref = f"entry#{e_index}"
            entry = self._valid(Entry, raw_entry, ref)
            if entry is None:
                continue
            for c_index, raw_change in enumerate(entry.changes):
                post = self._change(note.kind, raw_change, f"{ref}.changes#{c_index}")
                if post:
                    posts.append(post)
            for m_index, raw_msg in enumerate(entry.messaging):
                post = self._message(entry.id, raw_msg, f"{ref}.messaging#{m_index}")
                if post:
                    posts.append(post)
        return posts

    def _valid(self, model: type[M], raw: object, ref: str) -> M | None:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            self.last_refusals.append(Refusal(ref, validation_reason(exc), preview(raw)))
            return None

    def _change(self, obj: str, raw: object, ref: str) -> dict[str, Any] | None:
        change = self._valid(Change, raw, ref)
        if change is None:
            return None
        if obj == "page" and change.field == "feed" and change.value.get("item") == "comment":
            if change.value.get("verb") != "add":
                return None  # edits and removals are not new posts
            comment = self._valid(PageComment, change.value, ref)
            if comment is None or not comment.message.strip():
                return None
            return {
                "channel": self.key,
                "external_id": comment.comment_id,
                "text": comment.message,
                "created_at": datetime.fromtimestamp(comment.created_time, tz=UTC).isoformat(),
                "author": {
                    "external_id": comment.from_.id,
                    "handle": comment.from_.name or comment.from_.id,
                    "display_name": comment.from_.name,
                },
                "reply_to_external_id": comment.parent_id
                if comment.parent_id and comment.parent_id != comment.post_id
                else comment.post_id,
                "raw": {"kind": "comment", "post_id": comment.post_id},
            }
        if obj == "instagram" and change.field == "comments":
            ig = self._valid(InstagramComment, change.value, ref)
            if ig is None:
                return None
            return {
                "channel": self.key,
                "external_id": ig.id,
                "text": ig.text,
                "created_at": datetime.now(UTC).isoformat(),
                "author": {
                    "external_id": ig.from_.id,
                    "handle": f"@{ig.from_.username}" if ig.from_.username else ig.from_.id,
                },
                "reply_to_external_id": ig.parent_id or ig.media.id,
                "raw": {"kind": "comment", "media_id": ig.media.id},
            }
        return None  # other fields (reactions, mentions, story insights): not posts

    def _message(self, owner: str, raw: object, ref: str) -> dict[str, Any] | None:
        event = self._valid(Messaging, raw, ref)
        if event is None or event.message is None or event.message.is_echo:
            return None
        if not (event.message.text or "").strip():
            return None
        reply_to = event.message.reply_to.get("mid") if event.message.reply_to else None
        return {
            "channel": self.key,
            "external_id": event.message.mid,
            "text": event.message.text,
            "created_at": _iso_ms(event.timestamp),
            "author": {"external_id": event.sender.id, "handle": event.sender.id},
            "reply_to_external_id": reply_to if isinstance(reply_to, str) else None,
            "private": True,  # Messenger / Instagram Direct: one-to-one
            "raw": {"kind": "message", "page": owner},
        }

    # -- Connector ------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(
            public=True,
            private=True,
            max_length=2200 if self.config.network == "instagram" else 8000,
            reply_window=timedelta(hours=24),
        )

    def send_reply(self, reply: Reply) -> SendResult:
        token = {"access_token": self.config.page_access_token}
        if reply.visibility == "private":
            if not reply.recipient:
                raise SendError("a message needs the recipient's id", retryable=False)
            body = {
                "recipient": {"id": reply.recipient},
                "messaging_type": "RESPONSE",
                "message": {"text": reply.text},
            }
            answer = self._call("POST", "/me/messages", params=token, json=body)
            return SendResult(external_id=str(answer.get("message_id")))
        target = reply.in_reply_to_external_id
        if not target:
            raise SendError("a public reply needs the comment it answers", retryable=False)
        edge = "replies" if self.config.network == "instagram" else "comments"
        answer = self._call("POST", f"/{target}/{edge}", params=token, data={"message": reply.text})
        return SendResult(external_id=str(answer.get("id")))

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        raise SendError("the Graph API cannot tell whether a reply was sent", retryable=False)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SendError(f"graph API unreachable: {exc}", retryable=True) from exc
        try:
            doc = response.json()
        except ValueError:
            doc = None
        if response.status_code == 200 and isinstance(doc, dict) and "error" not in doc:
            return doc
        error = None
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
            try:
                error = GraphError.model_validate(doc["error"])
            except ValidationError:
                error = None
        detail = f"{error.code}: {error.message}" if error else f"HTTP {response.status_code}"
        code = error.code if error else None
        if code in (4, 17, 32, 613) or response.status_code == 429:
            wait = retry_after_seconds(response.headers) or 300.0
            raise SendError(f"rate limited: {detail}", retryable=True, retry_after=wait)
        if code == 190:
            raise SendError(f"needs re-auth: {detail}", retryable=False)
        if response.status_code >= 500 or code in (1, 2):
            raise SendError(f"graph API unavailable: {detail}", retryable=True)
        raise SendError(f"graph API refused the reply: {detail}", retryable=False)
