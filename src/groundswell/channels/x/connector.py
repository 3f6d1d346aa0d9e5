"""The X connector: replies and DMs out, mentions and the filtered stream in.

Replies go out as ``POST /2/tweets`` with ``reply.in_reply_to_tweet_id``; a private reply
is a DM (``POST /2/dm_conversations/with/:participant_id/messages``). X has no idempotency
key, so ``lookup_sent`` reads the account's recent tweets (``GET /2/users/:id/tweets``,
the newest 100) and reports the one that replies to the same tweet with the same text
(compared after X's HTML escaping and link wrapping are undone). It answers "not found"
for a reply older than those 100 tweets, so the sender should only ask about replies
that were in doubt recently; for DMs it cannot tell and says so.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from groundswell.channels.base import Capabilities, Fetched, Reply, SendError, SendResult
from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.x.client import XApiError, XClient
from groundswell.channels.x.parse import (
    CHANNEL,
    PayloadRejected,
    page_to_posts,
    tweet_to_post,
    users_by_id,
)

TWEET_FIELDS = (
    "author_id,created_at,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,lang"
)
USER_FIELDS = "username,name,public_metrics,verified,description,location"
MAX_PAGES = 8
"""Mentions pages read per poll (X serves the newest 800 mentions at most)."""
RULE_TAG = "gs:"
"""Prefix of the tags of rules this connector owns; other rules on the app are left alone."""
_LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class XConfig:
    user_id: str
    """The company account's numeric id (mentions, replies and lookups)."""
    access_token: str
    """OAuth 2.0 user-context token: posts replies, reads mentions and DMs."""
    app_token: str | None = None
    """App-only bearer token for the filtered stream; defaults to ``access_token``."""
    base_url: str = "https://api.x.com"
    username: str | None = None
    stream_backfill_minutes: int = 0
    """On reconnect ask for this many minutes of missed posts (Pro/Enterprise tiers)."""
    timeout: float = 20.0

    def __repr__(self) -> str:
        return f"XConfig(user_id={self.user_id!r}, base_url={self.base_url!r})"


def _comparable(text: str) -> str:
    return " ".join(_LINK.sub("", html.unescape(text)).split())


class XConnector:
    key = CHANNEL

    def __init__(
        self,
        config: XConfig,
        *,
        key: str = CHANNEL,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.key = key
        self.config = config
        self.client = XClient(
            config.base_url, config.access_token, timeout=config.timeout, transport=transport
        )
        self.app_client = (
            XClient(config.base_url, config.app_token, timeout=config.timeout, transport=transport)
            if config.app_token
            else self.client
        )
        self.guard = OutboundGuard()
        self.client.install_guard(self.guard)
        if self.app_client is not self.client:
            self.app_client.install_guard(self.guard)

    def bind_settings(self, settings: Any) -> None:
        """Check every request against the admin's allow-list (``common/guard.py``)."""
        self.guard.bind(settings)

    def close(self) -> None:
        self.client.close()
        if self.app_client is not self.client:
            self.app_client.close()

    def capabilities(self) -> Capabilities:
        return Capabilities(public=True, private=True, max_length=280, threading=True)

    def rate_limits(self) -> dict[str, dict[str, float]]:
        """The latest window of every endpoint called, for the channels page."""
        merged = dict(self.client.limits.snapshot())
        if self.app_client is not self.client:
            merged.update(self.app_client.limits.snapshot())
        return merged

    # --- out ----------------------------------------------------------------------------

    def send_reply(self, reply: Reply) -> SendResult:
        try:
            if reply.visibility == "private":
                return self._send_dm(reply)
            if len(reply.text) > 280:
                raise SendError(
                    f"a post is at most 280 characters, this is {len(reply.text)}", retryable=False
                )
            body: dict[str, Any] = {"text": reply.text}
            if reply.in_reply_to_external_id:
                body["reply"] = {"in_reply_to_tweet_id": reply.in_reply_to_external_id}
            answer = self.client.call("POST", "POST /2/tweets", "/2/tweets", json=body)
        except NeedsReauth as exc:
            raise SendError(exc.reason, retryable=False) from exc
        except XApiError as exc:
            raise SendError(
                exc.reason, retryable=exc.retryable, retry_after=exc.retry_after
            ) from exc
        tweet_id = str((answer.get("data") or {}).get("id") or "")
        if not tweet_id:
            raise SendError("POST /2/tweets answered without data.id", retryable=False)
        return SendResult(external_id=tweet_id, url=self._url(tweet_id))

    def _send_dm(self, reply: Reply) -> SendResult:
        if not reply.recipient or not reply.recipient.isdigit():
            raise SendError(
                "a direct message needs the recipient's numeric user id", retryable=False
            )
        endpoint = "POST /2/dm_conversations/with/:participant_id/messages"
        answer = self.client.call(
            "POST",
            endpoint,
            f"/2/dm_conversations/with/{reply.recipient}/messages",
            json={"text": reply.text},
        )
        event_id = str((answer.get("data") or {}).get("dm_event_id") or "")
        if not event_id:
            raise SendError("DM answered without data.dm_event_id", retryable=False)
        return SendResult(external_id=event_id)

    def _url(self, tweet_id: str) -> str:
        return f"https://x.com/{self.config.username or 'i'}/status/{tweet_id}"

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        if reply.visibility == "private":
            raise SendError("X cannot be asked whether a DM was sent", retryable=False)
        try:
            page = self.client.call(
                "GET",
                "GET /2/users/:id/tweets",
                f"/2/users/{self.config.user_id}/tweets",
                params={"max_results": 100, "tweet.fields": "referenced_tweets,created_at"},
            )
        except NeedsReauth as exc:
            raise SendError(exc.reason, retryable=False) from exc
        except XApiError as exc:
            raise SendError(
                exc.reason, retryable=exc.retryable, retry_after=exc.retry_after
            ) from exc
        want = _comparable(reply.text)
        for tweet in page.get("data") or []:
            parents = {
                str(r.get("id"))
                for r in tweet.get("referenced_tweets") or []
                if r.get("type") == "replied_to"
            }
            if reply.in_reply_to_external_id and reply.in_reply_to_external_id not in parents:
                continue
            if _comparable(str(tweet.get("text", ""))) == want:
                return SendResult(external_id=str(tweet["id"]), url=self._url(str(tweet["id"])))
        return None

    # --- in -----------------------------------------------------------------------------

    def check(self) -> str:
        me = self.client.call("GET", "GET /2/users/me", "/2/users/me")
        username = (me.get("data") or {}).get("username", "?")
        return f"authenticated as @{username}"

    def mentions(self) -> XMentions:
        return XMentions(self)

    def stream(self) -> XStream:
        return XStream(self)

    def direct_messages(self) -> XDirectMessages:
        return XDirectMessages(self)

    def sync_rules(self, wanted: dict[str, str]) -> dict[str, int]:
        """Make the stream's ``gs:`` rules equal ``wanted`` (tag → rule); returns counts."""
        endpoint = "/2/tweets/search/stream/rules"
        current = self.app_client.call("GET", "GET " + endpoint, endpoint).get("data") or []
        ours = {r["tag"]: r for r in current if str(r.get("tag", "")).startswith(RULE_TAG)}
        stale = [r["id"] for tag, r in ours.items() if wanted.get(tag) != r.get("value")]
        missing = [
            {"value": v, "tag": t}
            for t, v in sorted(wanted.items())
            if ours.get(t, {}).get("value") != v
        ]
        if stale:
            self.app_client.call(
                "POST", "POST " + endpoint, endpoint, json={"delete": {"ids": stale}}
            )
        created = 0
        if missing:
            answer = self.app_client.call(
                "POST", "POST " + endpoint, endpoint, json={"add": missing}
            )
            created = int(((answer.get("meta") or {}).get("summary") or {}).get("created", 0))
        return {"deleted": len(stale), "created": created, "kept": len(ours) - len(stale)}


class XMentions:
    """``GET /2/users/:id/mentions`` from a ``since_id`` cursor, all pages, oldest first."""

    activity = "mentions"

    def __init__(self, connector: XConnector) -> None:
        self.connector = connector
        self.key = connector.key

    def fetch(self, cursor: str | None) -> Fetched:
        cfg = self.connector.config
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if cursor:
            params["since_id"] = cursor
        posts: list[dict[str, Any]] = []
        newest: str | None = None
        for _page in range(MAX_PAGES):
            body = self.connector.client.call(
                "GET",
                "GET /2/users/:id/mentions",
                f"/2/users/{cfg.user_id}/mentions",
                params=params,
            )
            meta = body.get("meta") or {}
            newest = newest or meta.get("newest_id")
            page_posts, _skipped = page_to_posts(body, channel=self.key)
            posts.extend(page_posts)
            token = meta.get("next_token")
            if not token or not cursor:  # the first run takes only the newest page
                break
            params["pagination_token"] = token
        posts.reverse()  # X pages newest first; publish oldest first
        return Fetched(posts=posts, cursor=str(newest) if newest else cursor)

    def backfill(self, since: datetime) -> Iterator[list[dict[str, Any]]]:
        """Mentions created since ``since`` (X serves the newest 800), page by page."""
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        cfg = self.connector.config
        for _page in range(MAX_PAGES):
            body = self.connector.client.call(
                "GET",
                "GET /2/users/:id/mentions",
                f"/2/users/{cfg.user_id}/mentions",
                params=params,
            )
            posts, _skipped = page_to_posts(body, channel=self.key)
            yield posts
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return
            params["pagination_token"] = token


class XStream:
    """``GET /2/tweets/search/stream``: one long-lived connection read in batches.

    ``fetch`` returns after ``batch`` posts or ``window`` seconds, keeping the connection
    open for the next call. X's stream has no offset to resume from; the cursor keeps the
    last tweet id seen, and on reconnect ``stream_backfill_minutes`` (if set) asks X to
    replay what was missed, duplicates being absorbed by the pipeline's idempotence.
    """

    activity = "search"
    endpoint = "GET /2/tweets/search/stream"

    def __init__(self, connector: XConnector, *, batch: int = 500, window: float = 1.0) -> None:
        self.connector = connector
        self.key = connector.key
        self.batch = batch
        self.window = window
        self._stack: ExitStack | None = None
        self._lines: Any = None
        self.skipped = 0

    def _open(self, cursor: str | None) -> None:
        params: dict[str, Any] = {
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        minutes = self.connector.config.stream_backfill_minutes
        if cursor and minutes:
            params["backfill_minutes"] = min(5, minutes)
        stack = ExitStack()
        try:
            self._lines = stack.enter_context(
                self.connector.app_client.stream(self.endpoint, "/2/tweets/search/stream", params)
            )
        except BaseException:
            stack.close()
            raise
        self._stack = stack

    def close(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._lines = self._stack, None, None
            with suppress(Exception):  # a broken connection is being dropped anyway
                stack.close()

    def fetch(self, cursor: str | None) -> Fetched:
        if self._lines is None:
            self._open(cursor)
        posts: list[dict[str, Any]] = []
        last = cursor
        deadline = time.monotonic() + self.window
        try:
            for line in self._lines:
                if line.strip():
                    post = self._event(line)
                    if post is not None:
                        posts.append(post)
                        last = post["external_id"]
                if len(posts) >= self.batch or time.monotonic() >= deadline:
                    return Fetched(posts=posts, cursor=last)
        except (XApiError, SourceError):
            self.close()
            raise
        except Exception as exc:
            self.close()
            if posts:
                return Fetched(posts=posts, cursor=last)
            raise SourceError(f"stream read failed: {exc!r}") from exc
        self.close()  # the server ended the stream: reconnect next time
        return Fetched(posts=posts, cursor=last)

    def _event(self, line: str) -> dict[str, Any] | None:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            self.skipped += 1
            return None
        if not isinstance(event, dict):
            self.skipped += 1
            return None
        if "data" not in event and event.get("errors"):
            first = (
                event["errors"][0] if isinstance(event["errors"], list) and event["errors"] else {}
            )
            raise SourceError(
                f"stream error: {first.get('title', 'unknown')}: {first.get('detail', '')}"
            )
        tweet = event.get("data")
        if not isinstance(tweet, dict):
            self.skipped += 1
            return None
        try:
            return tweet_to_post(
                tweet,
                users_by_id(event),
                channel=self.key,
                matching_rules=event.get("matching_rules"),
            )
        except PayloadRejected:
            self.skipped += 1
            return None


DM_FIELDS = "id,text,event_type,created_at,dm_conversation_id,sender_id,participant_ids"


class XDirectMessages:
    """``GET /2/dm_events`` (MessageCreate only): the account's DMs, newest event id as cursor.

    The endpoint has no ``since_id``: pages are read newest first until an event at or
    below the cursor appears. The company's own messages are skipped. DM posts carry
    ``raw.private = true`` and their ``dm_conversation_id``.
    """

    activity = "dms"

    def __init__(self, connector: XConnector) -> None:
        self.connector = connector
        self.key = connector.key

    def fetch(self, cursor: str | None) -> Fetched:
        me = self.connector.config.user_id
        floor = int(cursor) if cursor and cursor.isdigit() else 0
        params: dict[str, Any] = {
            "max_results": 100,
            "event_types": "MessageCreate",
            "dm_event.fields": DM_FIELDS,
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
        }
        posts: list[dict[str, Any]] = []
        newest = floor
        for _page in range(MAX_PAGES):
            body = self.connector.client.call(
                "GET", "GET /2/dm_events", "/2/dm_events", params=params
            )
            users = users_by_id(body)
            reached = False
            for event in body.get("data") or []:
                event_id = int(str(event.get("id", "0")) or 0)
                if event_id <= floor:
                    reached = True
                    continue
                newest = max(newest, event_id)
                if str(event.get("sender_id")) == me or not event.get("text"):
                    continue
                tweet = {
                    "id": str(event_id),
                    "text": event["text"],
                    "author_id": str(event.get("sender_id", "")),
                    "created_at": event.get("created_at"),
                }
                try:
                    post = tweet_to_post(tweet, users, channel=self.key)
                except PayloadRejected:
                    continue
                post["url"] = None
                post["private"] = True
                post["raw"] = {
                    "private": True,
                    "dm_conversation_id": event.get("dm_conversation_id"),
                }
                posts.append(post)
            token = (body.get("meta") or {}).get("next_token")
            if reached or not token or not floor:
                break
            params["pagination_token"] = token
        posts.reverse()
        return Fetched(posts=posts, cursor=str(newest) if newest else cursor)
