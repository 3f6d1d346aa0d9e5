"""Reddit through PRAW (script-app OAuth: password grant), pointed at any base URL.

Listening: ``/r/<sub>/new`` (submissions) and ``/r/<sub>/comments`` (comments), each read
with ``before=<fullname>`` — the page immediately newer than the last thing seen — so a
restart resumes exactly where it stopped. The cursor holds one fullname per feed. Listings
are read raw (``Reddit.request``) so one malformed thing is refused alone.

Replying: ``POST /api/comment`` with ``thing_id`` (PRAW's ``reply``). Reddit has no
idempotency key; ``lookup_sent`` searches the account's recent comments for the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import praw
from praw import exceptions as praw_errors
from prawcore import exceptions as core_errors
from pydantic import ValidationError

from groundswell.channels.base import Capabilities, Reply, SendError, SendResult
from groundswell.channels.common.backoff import MAX_WAIT
from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.common.results import Polled, Refusal, preview, validation_reason
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.reddit.mapping import comment_to_post, link_to_post
from groundswell.channels.reddit.schemas import Child, Comment, Link, Listing

MAX_LENGTH = 10_000
PAGE = 100
MAX_PAGES = 5


@dataclass(frozen=True, slots=True)
class RedditConfig:
    client_id: str
    client_secret: str
    username: str
    password: str
    subreddits: tuple[str, ...] = ()
    channel: str = "reddit"
    oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"
    user_agent: str = "groundswell:social-crm:1.0 (by /u/groundswell)"
    timeout: int = 16


def _load(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        value = orjson.loads(cursor)
    except orjson.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


class RedditConnector:
    def __init__(self, config: RedditConfig, *, reddit: praw.Reddit | None = None) -> None:
        self.config = config
        self.key = config.channel
        self.guard = OutboundGuard()
        self.reddit = reddit or praw.Reddit(
            client_id=config.client_id,
            client_secret=config.client_secret,
            username=config.username,
            password=config.password,
            user_agent=config.user_agent,
            oauth_url=config.oauth_url,
            reddit_url=config.reddit_url,
            timeout=config.timeout,
            check_for_updates=False,
            check_for_async=False,
            requestor_kwargs={"session": self.guard.session()},
        )

    def bind_settings(self, settings: Any) -> None:
        """Check every request against the admin's allow-list (``common/guard.py``)."""
        self.guard.bind(settings)

    # -- Connector ------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(public=True, private=False, max_length=MAX_LENGTH, threading=True)

    def send_reply(self, reply: Reply) -> SendResult:
        target = reply.in_reply_to_external_id or ""
        if reply.visibility == "private":
            raise SendError("reddit replies are public comments", retryable=False)
        if not target.startswith(("t1_", "t3_")):
            raise SendError(f"cannot reply to {target!r}: not a comment or post", retryable=False)
        if len(reply.text) > MAX_LENGTH:
            reason = f"reply is {len(reply.text)} characters; the limit is {MAX_LENGTH}"
            raise SendError(reason, retryable=False)
        thing_id = target[3:]
        try:
            parent = (
                self.reddit.comment(id=thing_id)
                if target.startswith("t1_")
                else self.reddit.submission(id=thing_id)
            )
            created = parent.reply(body=reply.text)
        except (core_errors.PrawcoreException, praw_errors.PRAWException) as exc:
            raise self._send_error(exc) from exc
        if created is None:
            raise SendError("reddit accepted the reply but returned no comment", retryable=False)
        return SendResult(external_id=f"t1_{created.id}")

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        try:
            listing = self.reddit.request(
                method="GET",
                path=f"/user/{self.config.username}/comments",
                params={"limit": 50, "raw_json": 1},
            )
        except (core_errors.PrawcoreException, praw_errors.PRAWException) as exc:
            raise self._send_error(exc) from exc
        children = (
            (listing.get("data") or {}).get("children") or [] if isinstance(listing, dict) else []
        )
        for child in children:
            data = child.get("data") if isinstance(child, dict) else None
            if not isinstance(data, dict):
                continue
            if data.get("parent_id") == reply.in_reply_to_external_id and data.get("body") == (
                reply.text
            ):
                return SendResult(external_id=str(data.get("name")))
        return None

    # -- Source ---------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Polled:
        state = _load(cursor)
        posts: list[dict[str, Any]] = []
        refused: list[Refusal] = []
        ignored = 0
        try:
            for sub in self.config.subreddits:
                for feed in ("new", "comments"):
                    key = f"r/{sub}/{feed}"
                    got, bad, skipped, anchor = self._read(sub, feed, state.get(key))
                    posts += got
                    refused += bad
                    ignored += skipped
                    if anchor:
                        state[key] = anchor
        except core_errors.TooManyRequests as exc:
            raise SourceError("rate limited", retry_after=_retry_after(exc)) from exc
        except (core_errors.OAuthException, core_errors.InvalidToken, core_errors.Forbidden) as exc:
            raise NeedsReauth(f"needs re-auth: {exc}") from exc
        except (core_errors.PrawcoreException, praw_errors.PRAWException) as exc:
            raise SourceError(f"reddit unavailable: {exc}") from exc
        except (KeyError, ValueError, TypeError) as exc:
            # prawcore reads rate-limit headers by index; an answer without them (a proxy's
            # error page) raises KeyError from inside the library.
            reason = f"reddit answered unexpectedly: {type(exc).__name__}: {exc}"
            raise SourceError(reason) from exc
        return Polled(
            posts=posts,
            cursor=orjson.dumps(state).decode() if state else cursor,
            rejected=tuple(refused),
            ignored=ignored,
        )

    def _read(
        self, sub: str, feed: str, anchor: str | None
    ) -> tuple[list[dict[str, Any]], list[Refusal], int, str | None]:
        posts: list[dict[str, Any]] = []
        refused: list[Refusal] = []
        ignored = 0
        first_run = anchor is None  # the newest page only; a backfill is asked for explicitly
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {"limit": PAGE, "raw_json": 1}
            if anchor:
                params["before"] = anchor
            answer = self.reddit.request(method="GET", path=f"/r/{sub}/{feed}", params=params)
            try:
                listing = Listing.model_validate(answer)
            except ValidationError as exc:
                refused.append(
                    Refusal(f"reddit:r/{sub}/{feed}", validation_reason(exc), preview(answer))
                )
                break
            page: list[dict[str, Any]] = []
            names: list[str] = []
            for index, raw in enumerate(listing.data.children):
                ref = f"reddit:r/{sub}/{feed}#{index}"
                try:
                    child = Child.model_validate(raw)
                    thing = (Link if child.kind == "t3" else Comment).model_validate(child.data)
                except ValidationError as exc:
                    refused.append(Refusal(ref, validation_reason(exc), preview(raw)))
                    continue
                names.append(thing.name)
                post = (
                    link_to_post(thing, channel=self.key)
                    if isinstance(thing, Link)
                    else comment_to_post(thing, channel=self.key)
                )
                if post is None:
                    ignored += 1
                    continue
                if thing.author.lower() == self.config.username.lower():
                    post["direction"] = "out"  # our own reply, seen in the listing
                page.append(post)
            page.reverse()  # listings are newest first; store oldest first
            posts = posts + page
            if names:
                anchor = names[0]  # the newest thing of this page
            if first_run or len(listing.data.children) < PAGE or not names:
                break
        return posts, refused, ignored, anchor

    # -- errors ---------------------------------------------------------------------------
    def _send_error(self, exc: Exception) -> SendError:
        if isinstance(exc, core_errors.TooManyRequests):
            return SendError("rate limited", retryable=True, retry_after=_retry_after(exc))
        if isinstance(exc, praw_errors.RedditAPIException):
            first = exc.items[0] if exc.items else None
            code = first.error_type if first else "unknown"
            if code == "RATELIMIT":
                return SendError(f"reddit rate limit: {first}", retryable=True, retry_after=600)
            return SendError(f"reddit refused the reply: {code}", retryable=False)
        if isinstance(exc, core_errors.OAuthException | core_errors.InvalidToken):
            return SendError(f"needs re-auth: {exc}", retryable=False)
        if isinstance(exc, core_errors.Forbidden | core_errors.NotFound):
            return SendError(f"reddit refused the reply: {exc}", retryable=False)
        if isinstance(exc, core_errors.ServerError | core_errors.RequestException):
            return SendError(f"reddit unavailable: {exc}", retryable=True)
        return SendError(f"reddit error: {exc}", retryable=True)


def _retry_after(exc: core_errors.TooManyRequests) -> float:
    try:
        return max(1.0, min(MAX_WAIT, float(exc.retry_after or 60)))
    except (TypeError, ValueError):
        return 60.0
