"""YouTube comments through the Data API v3 with httpx (OAuth bearer token).

Listening: ``commentThreads.list`` with ``allThreadsRelatedToChannelId`` and
``order=time``, paged with ``pageToken`` — which leads to older threads only, so the
cursor is a high-water mark on the top-level comment's ``publishedAt`` plus the ids seen
at that instant (``common.marks``). The replies a thread carries come with it; a new reply
in a thread older than the mark is not seen by this listing (it would need
``comments.list`` per thread, at a quota cost).

Replying: ``comments.insert`` with ``snippet.parentId`` (the top-level comment) and
``snippet.textOriginal``. Quota: a list costs 1 unit, an insert 50 of the default 10,000 a
day; ``quotaExceeded`` comes back as ``retry_after`` until the next Pacific midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from pydantic import ValidationError

from groundswell.channels.base import Capabilities, Reply, SendError, SendResult
from groundswell.channels.common.backoff import retry_after_seconds
from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.common.marks import Mark
from groundswell.channels.common.results import (
    Polled,
    Refusal,
    item_ref,
    parse_items,
)
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.youtube.schemas import ApiError, Comment, CommentThread
from groundswell.core.http_retry import retrying_transport

MAX_PAGES = 5
PAGE = 100
MAX_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class YouTubeConfig:
    channel_id: str
    """The brand's channel (``UC…``) whose videos' comments are read."""
    access_token: str
    channel: str = "youtube"
    api_base: str = "https://www.googleapis.com"
    timeout: float = 10.0


def _until_quota_reset(now: datetime | None = None) -> float:
    """Daily quotas reset at midnight Pacific time."""
    pacific = (now or datetime.now(UTC)).astimezone(ZoneInfo("America/Los_Angeles"))
    tomorrow = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - pacific).total_seconds()


class YouTubeConnector:
    def __init__(self, config: YouTubeConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self.key = config.channel
        self.http = client or httpx.Client(
            base_url=config.api_base.rstrip("/") + "/youtube/v3",
            headers={"Authorization": f"Bearer {config.access_token}"},
            timeout=config.timeout,
            transport=retrying_transport(),
        )
        self.guard = OutboundGuard()
        self.guard.install(self.http)

    def bind_settings(self, settings: Any) -> None:
        """Check every request against the admin's allow-list (``common/guard.py``)."""
        self.guard.bind(settings)

    # -- Connector ------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(public=True, private=False, max_length=MAX_LENGTH)

    def send_reply(self, reply: Reply) -> SendResult:
        parent = reply.in_reply_to_external_id
        if reply.visibility == "private" or not parent:
            reason = "youtube replies are public and need the comment answered"
            raise SendError(reason, retryable=False)
        body = {"snippet": {"parentId": parent, "textOriginal": reply.text}}
        try:
            response = self.http.post("/comments", params={"part": "snippet"}, json=body)
        except httpx.HTTPError as exc:
            raise SendError(f"youtube unreachable: {exc}", retryable=True) from exc
        if response.status_code == 200:
            try:
                return SendResult(external_id=Comment.model_validate(response.json()).id)
            except (ValueError, ValidationError) as exc:
                raise SendError(f"unreadable comment: {exc}", retryable=False) from exc
        raise self._error(response)

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        raise SendError("youtube cannot look a reply up by its key", retryable=False)

    def _error(self, response: httpx.Response) -> SendError:
        try:
            error = ApiError.model_validate(response.json()["error"])
            reason = error.errors[0].reason if error.errors else None
            detail = f"{reason or error.code}: {error.message}"
        except (ValueError, KeyError, TypeError, ValidationError):
            reason, detail = None, f"HTTP {response.status_code}"
        if reason in ("quotaExceeded", "dailyLimitExceeded"):
            return SendError(f"quota: {detail}", retryable=True, retry_after=_until_quota_reset())
        if response.status_code == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            wait = retry_after_seconds(response.headers) or 60.0
            return SendError(f"rate limited: {detail}", retryable=True, retry_after=wait)
        if response.status_code == 401:
            return SendError(f"needs re-auth: {detail}", retryable=False)
        if response.status_code >= 500:
            return SendError(f"youtube unavailable: {detail}", retryable=True)
        return SendError(f"youtube refused: {detail}", retryable=False)

    # -- Source ---------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Polled:
        try:
            state = orjson.loads(cursor) if cursor else {}
        except orjson.JSONDecodeError:
            state = {}
        mark = Mark.load(state.get("threads") if isinstance(state, dict) else None)
        newest = Mark(mark.at, set(mark.uris))
        posts: list[dict[str, Any]] = []
        refused: list[Refusal] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {
                "part": "snippet,replies",
                "allThreadsRelatedToChannelId": self.config.channel_id,
                "order": "time",
                "maxResults": PAGE,
                "textFormat": "plainText",
            }
            if token:
                params["pageToken"] = token
            try:
                response = self.http.get("/commentThreads", params=params)
            except httpx.HTTPError as exc:
                raise SourceError(f"youtube unreachable: {exc}") from exc
            if response.status_code != 200:
                failure = self._error(response)
                if failure.retry_after:
                    raise SourceError(failure.reason, retry_after=failure.retry_after)
                if failure.reason.startswith("needs re-auth"):
                    raise NeedsReauth(failure.reason)
                raise SourceError(failure.reason, retryable=failure.retryable)
            try:
                doc = response.json()
            except ValueError:
                raise SourceError("youtube answered non-JSON") from None
            items = doc.get("items") if isinstance(doc, dict) else None
            threads, bad = parse_items(
                CommentThread, items if isinstance(items, list) else [], ref=item_ref("youtube")
            )
            refused += bad
            reached = False
            for thread in threads:
                top = thread.snippet.top_level_comment
                if mark.seen(thread.id, top.snippet.published_at):
                    reached = reached or (
                        mark.at is not None and top.snippet.published_at < mark.at
                    )
                    continue
                newest.advance(thread.id, top.snippet.published_at)
                video = thread.snippet.video_id or top.snippet.video_id
                posts.append(self._post(top, reply_to=video))
                for answer in thread.replies.comments if thread.replies else []:
                    posts.append(self._post(answer, reply_to=answer.snippet.parent_id or top.id))
            token = doc.get("nextPageToken") if isinstance(doc, dict) else None
            if reached or mark.at is None or not isinstance(token, str):
                break
        posts.sort(key=lambda p: str(p["created_at"]))
        dumped = newest.dump()
        return Polled(
            posts=posts,
            cursor=orjson.dumps({"threads": dumped}).decode() if dumped else cursor,
            rejected=tuple(refused),
        )

    def _post(self, comment: Comment, *, reply_to: str | None) -> dict[str, Any]:
        s = comment.snippet
        author = s.author_channel_id.value if s.author_channel_id else s.author_display_name
        return {
            "channel": self.key,
            "external_id": comment.id,
            "text": s.text_original,
            "created_at": s.published_at.isoformat(),
            "author": {
                "external_id": author,
                "handle": s.author_display_name,
                "display_name": s.author_display_name,
                "profile_url": s.author_channel_url,
            },
            "url": f"https://www.youtube.com/watch?v={s.video_id}&lc={comment.id}"
            if s.video_id
            else None,
            "reply_to_external_id": reply_to,
            "engagement": {"likes": s.like_count},
            "raw": {"video_id": s.video_id},
        }
