"""Mastodon through Mastodon.py, pointed at any instance's base URL.

Listening: mention notifications (and optionally hashtag timelines) read with ``min_id``
so a page resumes exactly after the last item seen — ``since_id`` would return the newest
page and skip whatever lay between. The cursor is a small JSON object, one id per feed.
The streaming API (``stream.py``) pushes the same notifications live; it cannot resume,
so it always starts with a REST catch-up from the cursor.

Replying: ``POST /api/v1/statuses`` with ``in_reply_to_id`` and an ``Idempotency-Key``
(Mastodon returns the first status for a repeated key), ``direct`` visibility for DMs.
One connector per instance account: credentials are per instance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)
from pydantic import ValidationError

from groundswell.channels.base import Capabilities, Reply, SendError, SendResult
from groundswell.channels.common.backoff import MAX_WAIT
from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.common.results import (
    Polled,
    Refusal,
    item_ref,
    parse_items,
    preview,
    validation_reason,
)
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.mastodon.mapping import host_of, notification_to_post, status_to_post
from groundswell.channels.mastodon.schemas import Account, Notification, Status

PAGE = 40
MAX_LENGTH = 500


@dataclass(frozen=True, slots=True)
class MastodonConfig:
    base_url: str
    """The instance, e.g. ``https://mastodon.social`` (or a stand-in's URL)."""
    access_token: str
    channel: str = "mastodon"
    hashtags: tuple[str, ...] = ()
    timeout: float = 10.0


def _load_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        value = orjson.loads(cursor)
    except orjson.JSONDecodeError:
        # An older cursor that is a bare notification id.
        return {"mentions": cursor} if cursor.isdigit() else {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int)}


def _newest(ids: list[str]) -> str | None:
    """Mastodon ids are decimal strings; compare as numbers (length first)."""
    return max(ids, key=lambda i: (len(i), i)) if ids else None


class MastodonConnector:
    def __init__(self, config: MastodonConfig, *, client: Mastodon | None = None) -> None:
        self.config = config
        self.key = config.channel
        self.host = host_of(config.base_url)
        self.guard = OutboundGuard()
        self.client = client or Mastodon(
            access_token=config.access_token,
            api_base_url=config.base_url,
            ratelimit_method="throw",
            request_timeout=config.timeout,
            version_check_mode="none",
            session=self.guard.session(),
        )
        self._me: Account | None = None

    def bind_settings(self, settings: Any) -> None:
        """Check every request against the admin's allow-list (``common/guard.py``)."""
        self.guard.bind(settings)

    # -- Connector ----------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(
            public=True, private=True, max_length=MAX_LENGTH, attachments=True, threading=True
        )

    def send_reply(self, reply: Reply) -> SendResult:
        text = reply.text
        visibility = "public"
        if reply.visibility == "private":
            if not reply.recipient:
                raise SendError("a direct message needs a recipient handle", retryable=False)
            handle = "@" + reply.recipient.lstrip("@")
            if handle.lower() not in text.lower():
                text = f"{handle} {text}"
            visibility = "direct"
        if len(text) > MAX_LENGTH:
            raise SendError(f"reply is {len(text)} characters; the limit is 500", retryable=False)
        try:
            status = self.client.status_post(
                text,
                in_reply_to_id=reply.in_reply_to_external_id,
                visibility=visibility,
                idempotency_key=reply.idempotency_key,
            )
        except MastodonError as exc:
            raise self._send_error(exc) from exc
        return self._result(status)

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        """Our recent statuses, searched for this reply (no side effect).

        If it is not there the sender posts again with the same ``Idempotency-Key``, which
        Mastodon answers with the first status if the earlier request did land after all.
        """
        try:
            me = self.me()
            recent = self.client.account_statuses(me.id, limit=PAGE)
        except MastodonError as exc:
            raise self._send_error(exc) from exc
        for item in recent:
            try:
                status = Status.model_validate(item)
            except ValidationError:
                continue
            if status.in_reply_to_id != reply.in_reply_to_external_id:
                continue
            if reply.text.strip() and reply.text.strip() in status.content.replace("&#39;", "'"):
                return SendResult(external_id=status.id, url=status.url)
        return None

    # -- Source -------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Polled:
        state = _load_cursor(cursor)
        posts: list[dict[str, Any]] = []
        rejected: list[Refusal] = []
        ignored = 0
        try:
            raw = self.client.notifications(
                types=["mention"], min_id=state.get("mentions"), limit=PAGE
            )
            items = [dict(n) for n in raw]
            notes, bad = parse_items(Notification, items, ref=item_ref("mastodon:notification"))
            rejected.extend(bad)
            seen = [n.id for n in notes] + [str(i.get("id")) for i in items if i.get("id")]
            for note in notes:
                post = notification_to_post(note, channel=self.key, instance_host=self.host)
                if post is None:
                    ignored += 1
                else:
                    posts.append(post)
            newest = _newest([i for i in seen if i.isdigit()])
            if newest:
                state["mentions"] = newest
            for tag in self.config.hashtags:
                feed = f"tag:{tag}"
                statuses = [
                    dict(s)
                    for s in self.client.timeline_hashtag(tag, min_id=state.get(feed), limit=PAGE)
                ]
                good, bad = parse_items(Status, statuses, ref=item_ref("mastodon:status"))
                rejected.extend(bad)
                for status in good:
                    post = status_to_post(status, channel=self.key, instance_host=self.host)
                    if post is None:
                        ignored += 1
                    else:
                        posts.append(post)
                newest = _newest([s.id for s in good if s.id.isdigit()])
                if newest:
                    state[feed] = newest
        except MastodonRatelimitError:
            raise SourceError("rate limited", retry_after=self._reset_in()) from None
        except MastodonUnauthorizedError as exc:
            raise NeedsReauth(f"needs re-auth: {exc}") from exc
        except MastodonError as exc:
            raise SourceError(f"mastodon unavailable: {exc}") from exc
        return Polled(
            posts=posts,
            cursor=orjson.dumps(state).decode() if state else cursor,
            rejected=tuple(rejected),
            ignored=ignored,
        )

    def parse_notification(self, payload: Any) -> tuple[dict[str, Any] | None, Refusal | None]:
        """One streamed notification → (post, None), (None, None) if skipped, or a refusal."""
        try:
            note = Notification.model_validate(payload)
        except ValidationError as exc:
            return None, Refusal("mastodon:stream", validation_reason(exc), preview(payload))
        return notification_to_post(note, channel=self.key, instance_host=self.host), None

    # -- helpers ------------------------------------------------------------------------
    def me(self) -> Account:
        if self._me is None:
            self._me = Account.model_validate(dict(self.client.account_verify_credentials()))
        return self._me

    def _reset_in(self) -> float:
        reset = getattr(self.client, "ratelimit_reset", None)
        if isinstance(reset, int | float):
            return max(1.0, min(MAX_WAIT, float(reset) - time.time()))
        return 60.0

    def _result(self, status: Any) -> SendResult:
        try:
            parsed = Status.model_validate(dict(status))
        except (ValidationError, TypeError, ValueError) as exc:
            reason = f"mastodon answered an unreadable status: {exc}"
            raise SendError(reason, retryable=False) from exc
        return SendResult(external_id=parsed.id, url=parsed.url)

    def _send_error(self, exc: MastodonError) -> SendError:
        if isinstance(exc, MastodonRatelimitError):
            return SendError("rate limited", retryable=True, retry_after=self._reset_in())
        if isinstance(exc, MastodonUnauthorizedError):
            return SendError(f"needs re-auth: {exc}", retryable=False)
        if isinstance(exc, MastodonServerError | MastodonNetworkError):
            return SendError(f"mastodon unavailable: {exc}", retryable=True)
        if isinstance(exc, MastodonNotFoundError):
            return SendError(f"the status answered is gone: {exc}", retryable=False)
        if isinstance(exc, MastodonAPIError):
            return SendError(f"mastodon refused the reply: {exc}", retryable=False)
        return SendError(f"mastodon error: {exc}", retryable=True)
