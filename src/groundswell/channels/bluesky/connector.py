"""Bluesky through the ``atproto`` SDK, pointed at any PDS (or a stand-in).

Listening: ``app.bsky.notification.listNotifications`` (mentions, replies, quotes) and,
per keyword, ``app.bsky.feed.searchPosts`` sorted by latest. Both page *backwards* from
the newest, so the cursor is a high-water mark per feed: the newest ``indexedAt`` seen and
the URIs seen at that instant. A fetch pages back until it passes the mark; items at the
mark are compared by URI, so one indexed in the same millisecond is neither lost nor read
twice.

Replying: an ``app.bsky.feed.post`` record via ``com.atproto.repo.createRecord``
(``Client.send_post``) whose ``reply`` holds strong refs (uri + cid) to the thread's root
and to the parent, read from the parent with ``app.bsky.feed.getPosts``. The network has
no idempotency key, so ``lookup_sent`` lists our recent post records for the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from atproto import Client, models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    UnauthorizedError,
)
from atproto_client.request import Request, Response
from pydantic import ValidationError

from groundswell.channels.base import Capabilities, Reply, SendError, SendResult
from groundswell.channels.bluesky.mapping import POST_REASONS, to_post
from groundswell.channels.bluesky.schemas import Notification, PostRecord, PostView
from groundswell.channels.common.backoff import MAX_WAIT
from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.common.marks import Mark, iso_z
from groundswell.channels.common.results import (
    Polled,
    Refusal,
    item_ref,
    parse_items,
    preview,
    validation_reason,
)
from groundswell.channels.errors import NeedsReauth, SourceError

MAX_LENGTH = 300
PAGE = 50
MAX_PAGES = 10
POST_COLLECTION = "app.bsky.feed.post"


@dataclass(frozen=True, slots=True)
class BlueskyConfig:
    base_url: str
    """The account's PDS (``https://bsky.social``) or a stand-in."""
    identifier: str
    """Handle or DID of the brand's account."""
    app_password: str
    channel: str = "bluesky"
    keywords: tuple[str, ...] = ()


def _load(cursor: str | None) -> dict[str, object]:
    if not cursor:
        return {}
    try:
        value = orjson.loads(cursor)
    except orjson.JSONDecodeError:
        return {}
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


class BlueskyConnector:
    def __init__(self, config: BlueskyConfig, *, client: Client | None = None) -> None:
        self.config = config
        self.key = config.channel
        self.guard = OutboundGuard()
        self.client = client or Client(
            base_url=config.base_url,
            request=Request(event_hooks={"request": [self.guard.request_hook]}),
        )
        self._did: str | None = None

    def bind_settings(self, settings: Any) -> None:
        """Check every request against the admin's allow-list (``common/guard.py``)."""
        self.guard.bind(settings)

    # -- session --------------------------------------------------------------------------
    def did(self) -> str:
        if self._did is None:
            profile = self.client.login(self.config.identifier, self.config.app_password)
            self._did = profile.did if profile else self.config.identifier
        return self._did

    # -- Connector ------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        # Bluesky DMs live on a separate chat service (chat.bsky.convo), not wired here.
        return Capabilities(public=True, private=False, max_length=MAX_LENGTH, threading=True)

    def send_reply(self, reply: Reply) -> SendResult:
        if reply.visibility == "private":
            raise SendError("bluesky replies are public; DMs are not supported", retryable=False)
        if len(reply.text) > MAX_LENGTH:
            reason = f"reply is {len(reply.text)} characters; the limit is 300"
            raise SendError(reason, retryable=False)
        if not reply.in_reply_to_external_id:
            raise SendError("a bluesky reply needs the at:// URI it answers", retryable=False)
        try:
            repo = self.did()
            ref = self._reply_ref(reply.in_reply_to_external_id)
            created = self.client.send_post(text=reply.text, profile_identify=repo, reply_to=ref)
        except AtProtocolError as exc:
            raise self._send_error(exc) from exc
        return SendResult(external_id=created.uri, url=None)

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        try:
            repo = self.did()
            answer = self.client.invoke_query(
                "com.atproto.repo.listRecords",
                params=models.ComAtprotoRepoListRecords.Params(
                    repo=repo, collection=POST_COLLECTION, limit=PAGE
                ),
            )
        except AtProtocolError as exc:
            raise self._send_error(exc) from exc
        content = answer.content if isinstance(answer.content, dict) else {}
        for item in content.get("records") or []:
            if not isinstance(item, dict):
                continue
            try:
                record = PostRecord.model_validate(item.get("value"))
            except ValidationError:
                continue
            parent = record.reply.parent.uri if record.reply else None
            if parent == reply.in_reply_to_external_id and record.text == reply.text:
                return SendResult(external_id=str(item.get("uri")))
        return None

    def _reply_ref(self, parent_uri: str) -> models.AppBskyFeedPost.ReplyRef:
        answer = self.client.invoke_query(
            "app.bsky.feed.getPosts",
            params=models.AppBskyFeedGetPosts.Params(uris=[parent_uri]),
        )
        content = answer.content if isinstance(answer.content, dict) else {}
        posts = content.get("posts") or []
        if not posts:
            raise SendError(f"the post answered is gone: {parent_uri}", retryable=False)
        try:
            parent = PostView.model_validate(posts[0])
        except ValidationError as exc:
            reason = f"unreadable parent post: {validation_reason(exc)}"
            raise SendError(reason, retryable=False) from exc
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
        root = parent.record.reply.root if parent.record.reply else None
        root_ref = (
            models.ComAtprotoRepoStrongRef.Main(uri=root.uri, cid=root.cid) if root else parent_ref
        )
        return models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent_ref)

    # -- Source ---------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Polled:
        state = _load(cursor)
        posts: list[dict[str, Any]] = []
        rejected: list[Refusal] = []
        ignored = 0
        try:
            self.did()
            got, bad, skipped, mark = self._notifications(Mark.load(state.get("notifications")))
            posts += got
            rejected += bad
            ignored += skipped
            if mark:
                state["notifications"] = mark
            for keyword in self.config.keywords:
                feed = f"search:{keyword}"
                got, bad, mark = self._search(keyword, Mark.load(state.get(feed)))
                posts += got
                rejected += bad
                if mark:
                    state[feed] = mark
        except RateLimitExceededError as exc:
            raise SourceError("rate limited", retry_after=self._wait(exc)) from exc
        except (UnauthorizedError, LoginRequiredError) as exc:
            raise NeedsReauth(f"needs re-auth: {_describe(exc)}") from exc
        except AtProtocolError as exc:
            raise SourceError(f"bluesky unavailable: {_describe(exc)}") from exc
        return Polled(
            posts=posts,
            cursor=orjson.dumps(state).decode() if state else cursor,
            rejected=tuple(rejected),
            ignored=ignored,
        )

    def _query(self, nsid: str, params: Any, key: str) -> tuple[list[Any], str | None]:
        """One page: its items (raw, validated one by one later) and the next page's cursor."""
        answer: Response = self.client.invoke_query(nsid, params=params)
        content = answer.content if isinstance(answer.content, dict) else {}
        items = content.get(key)
        next_cursor = content.get("cursor")
        return (
            items if isinstance(items, list) else [],
            next_cursor if isinstance(next_cursor, str) else None,
        )

    def _notifications(
        self, mark: Mark
    ) -> tuple[list[dict[str, Any]], list[Refusal], int, dict[str, object] | None]:
        posts: list[dict[str, Any]] = []
        refused: list[Refusal] = []
        ignored = 0
        newest = Mark(mark.at, set(mark.uris))
        page_cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = models.AppBskyNotificationListNotifications.Params(
                limit=PAGE, cursor=page_cursor
            )
            items, next_cursor = self._query(
                "app.bsky.notification.listNotifications", params, "notifications"
            )
            notes, bad = parse_items(Notification, items, ref=item_ref("bluesky", "uri"))
            refused += bad
            reached = False
            for note in notes:
                if mark.seen(note.uri, note.indexed_at):
                    reached = reached or (mark.at is not None and note.indexed_at < mark.at)
                    continue
                newest.advance(note.uri, note.indexed_at)
                if note.reason not in POST_REASONS:
                    ignored += 1
                    continue
                try:
                    record = PostRecord.model_validate(note.record)
                except ValidationError as exc:
                    refused.append(
                        Refusal(f"bluesky:{note.uri}", validation_reason(exc), preview(note.record))
                    )
                    continue
                posts.append(
                    to_post(
                        channel=self.key,
                        uri=note.uri,
                        cid=note.cid,
                        author=note.author,
                        record=record,
                        indexed_at=note.indexed_at,
                        reason=note.reason,
                    )
                )
            if reached or mark.at is None or next_cursor is None or not items:
                break
            page_cursor = next_cursor
        posts.reverse()  # oldest first, so threads are stored parent before child
        return posts, refused, ignored, newest.dump()

    def _search(
        self, keyword: str, mark: Mark
    ) -> tuple[list[dict[str, Any]], list[Refusal], dict[str, object] | None]:
        posts: list[dict[str, Any]] = []
        refused: list[Refusal] = []
        newest = Mark(mark.at, set(mark.uris))
        since = iso_z(mark.at) if mark.at else None
        page_cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = models.AppBskyFeedSearchPosts.Params(
                q=keyword, sort="latest", since=since, limit=PAGE, cursor=page_cursor
            )
            items, next_cursor = self._query("app.bsky.feed.searchPosts", params, "posts")
            views, bad = parse_items(PostView, items, ref=item_ref("bluesky", "uri"))
            refused += bad
            for view in views:
                if mark.seen(view.uri, view.indexed_at):
                    continue
                newest.advance(view.uri, view.indexed_at)
                posts.append(
                    to_post(
                        channel=self.key,
                        uri=view.uri,
                        cid=view.cid,
                        author=view.author,
                        record=view.record,
                        indexed_at=view.indexed_at,
                        counts=(view.like_count, view.repost_count, view.reply_count),
                    )
                )
            if mark.at is None or next_cursor is None or not items:
                break
            page_cursor = next_cursor
        posts.reverse()
        return posts, refused, newest.dump()

    # -- errors ---------------------------------------------------------------------------
    @staticmethod
    def _wait(exc: RateLimitExceededError) -> float:
        reset = exc.reset_at
        if not isinstance(reset, datetime):
            return 60.0
        seconds = float((reset - datetime.now(UTC)).total_seconds())
        return max(1.0, min(MAX_WAIT, seconds))

    def _send_error(self, exc: AtProtocolError) -> SendError:
        if isinstance(exc, RateLimitExceededError):
            return SendError("rate limited", retryable=True, retry_after=self._wait(exc))
        if isinstance(exc, UnauthorizedError | LoginRequiredError):
            return SendError(f"needs re-auth: {_describe(exc)}", retryable=False)
        if isinstance(exc, BadRequestError):
            return SendError(f"bluesky refused the reply: {_describe(exc)}", retryable=False)
        if isinstance(exc, NetworkError):
            return SendError(f"bluesky unavailable: {_describe(exc)}", retryable=True)
        return SendError(f"bluesky error: {_describe(exc)}", retryable=True)


def _describe(exc: AtProtocolError) -> str:
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    error = getattr(content, "error", None)
    message = getattr(content, "message", None)
    status = getattr(response, "status_code", None)
    parts = [str(p) for p in (status, error, message) if p]
    return " ".join(parts) or type(exc).__name__
