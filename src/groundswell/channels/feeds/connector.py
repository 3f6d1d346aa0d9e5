"""Feeds through ``feedparser``, fetched with httpx and a conditional GET.

httpx fetches (so timeouts, a size bound and the proxy settings are ours) with
``If-None-Match`` / ``If-Modified-Since`` from the saved cursor; a ``304`` costs the site
nothing and us no parsing. ``feedparser`` parses whatever RSS or Atom dialect arrives.
Feeds have no order to resume from, so the cursor also keeps the ids of the newest
entries already published; an entry seen again is skipped (and would be absorbed by the
pipeline's idempotence anyway).

A feed may redirect (sites move their feeds); every request, the first and each redirect,
passes the admin's outbound guard first, so a public feed URL cannot lead the reader to
an internal address.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
from pydantic import ValidationError

from groundswell.channels.common.backoff import retry_after_seconds
from groundswell.channels.common.html_text import html_to_text
from groundswell.channels.common.results import Polled, Refusal, preview, validation_reason
from groundswell.channels.errors import SourceError
from groundswell.channels.feeds.schemas import Entry, FeedState
from groundswell.core.http_retry import retrying_transport
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError

MAX_BYTES = 5 * 1024 * 1024
KEEP_SEEN = 1000


@dataclass(frozen=True, slots=True)
class FeedConfig:
    url: str
    channel: str = "rss"
    timeout: float = 15.0
    max_bytes: int = MAX_BYTES
    user_agent: str = "Groundswell feed reader (+https://groundswell.invalid)"


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _entry_id(entry: Any) -> str | None:
    for key in ("id", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            value = value.strip()
            return value if len(value) <= 200 else hashlib.sha256(value.encode()).hexdigest()
    title, summary = entry.get("title") or "", entry.get("summary") or ""
    if title or summary:
        return hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return None


class FeedSource:
    def __init__(
        self,
        config: FeedConfig,
        *,
        client: httpx.Client | None = None,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self.config = config
        self.key = config.channel
        self.host = urlsplit(config.url).netloc
        self.outbound = outbound if outbound is not None else OutboundPolicy()
        self.http = client or httpx.Client(
            timeout=config.timeout,
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": config.user_agent},
            transport=retrying_transport(),
        )
        self.http.event_hooks["request"] = [*self.http.event_hooks["request"], self._guard]

    def bind_settings(self, settings: Any) -> None:
        """The admin's allow-list (``outbound_allow_hosts``), set when the account is built."""
        self.outbound = OutboundPolicy.from_setting(settings.outbound_allow_hosts)

    def _guard(self, request: httpx.Request) -> None:
        self.outbound.check_url(str(request.url), must_resolve=True)

    def _state(self, cursor: str | None) -> FeedState:
        if not cursor:
            return FeedState()
        try:
            return FeedState.model_validate_json(cursor)
        except ValidationError:
            return FeedState()

    def fetch(self, cursor: str | None) -> Polled:
        state = self._state(cursor)
        headers: dict[str, str] = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.modified:
            headers["If-Modified-Since"] = state.modified
        try:
            with self.http.stream("GET", self.config.url, headers=headers) as response:
                if response.status_code == 304:
                    return Polled(posts=[], cursor=cursor)
                if response.status_code in (429, 503):
                    wait = retry_after_seconds(response.headers) or 300.0
                    raise SourceError(
                        f"feed answered HTTP {response.status_code}", retry_after=wait
                    )
                if response.status_code >= 400:
                    reason = f"feed answered HTTP {response.status_code}"
                    raise SourceError(reason)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.config.max_bytes:
                        reason = f"feed is larger than {self.config.max_bytes} bytes"
                        refusal = Refusal(f"feed:{self.config.url}", reason)
                        return Polled(posts=[], cursor=cursor, rejected=(refusal,))
                etag = response.headers.get("ETag")
                modified = response.headers.get("Last-Modified")
        except OutboundRefusedError as exc:
            raise SourceError(f"url: {exc}", retryable=False) from None
        except httpx.HTTPError as exc:
            raise SourceError(f"feed unreachable: {exc}") from exc
        return self.parse(bytes(body), state, etag=etag, modified=modified)

    def parse(
        self, body: bytes, state: FeedState, *, etag: str | None, modified: str | None
    ) -> Polled:
        parsed = feedparser.parse(body)
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            why = str(parsed.get("bozo_exception") or "no RSS or Atom document")[:300]
            refusal = Refusal(f"feed:{self.config.url}", f"not a feed: {why}", preview(body[:500]))
            return Polled(posts=[], cursor=state.model_dump_json(), rejected=(refusal,))
        feed_title = parsed.feed.get("title") or self.host
        seen = set(state.seen)
        posts: list[dict[str, Any]] = []
        refused: list[Refusal] = []
        ids: list[str] = []
        for index, raw in enumerate(parsed.entries):
            entry_id = _entry_id(raw)
            if entry_id is None:
                refused.append(
                    Refusal(
                        f"feed:{self.config.url}#{index}", "entry has no id, link, title or summary"
                    )
                )
                continue
            ids.append(entry_id)
            if entry_id in seen:
                continue
            try:
                entry = Entry.model_validate(
                    {
                        "id": entry_id,
                        "title": raw.get("title") or "",
                        "summary": raw.get("summary") or "",
                        "link": raw.get("link"),
                        "author": raw.get("author"),
                        "author_email": (raw.get("author_detail") or {}).get("email"),
                        "published": _when(raw),
                    }
                )
            except ValidationError as exc:
                refused.append(
                    Refusal(f"feed:{entry_id}", validation_reason(exc), preview(dict(raw)))
                )
                continue
            post = self._post(entry, feed_title)
            if post is None:
                refused.append(Refusal(f"feed:{entry_id}", "entry has no text"))
            else:
                posts.append(post)
        posts.reverse()  # feeds list newest first
        kept = ids + [i for i in state.seen if i not in set(ids)]
        new_state = FeedState(etag=etag, modified=modified, seen=kept[:KEEP_SEEN])
        return Polled(posts=posts, cursor=new_state.model_dump_json(), rejected=tuple(refused))

    def _post(self, entry: Entry, feed_title: str) -> dict[str, Any] | None:
        summary = html_to_text(entry.summary)
        title = html_to_text(entry.title)
        text = title_and_body(title, summary)
        if not text:
            return None
        author = entry.author or feed_title
        return {
            "channel": self.key,
            "external_id": entry.id,
            "text": text,
            "created_at": (entry.published or datetime.now(UTC)).isoformat(),
            "author": {
                "external_id": f"{self.host}:{author}"[:200],
                "handle": author[:200],
                "display_name": author[:300],
                "email": entry.author_email,
            },
            "url": entry.link,
            "raw": {"feed": self.config.url, "dated": entry.published is not None},
        }


def _lead(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(" .…!?:;,-")


def title_and_body(title: str, body: str) -> str:
    """The post's text: the title, a blank line, the body, unless one repeats the other.

    Many feeds (reviews, forums) title an entry with the first words of its body, often
    cut with "…"; the post then says it once. Case, spacing and the cut's punctuation
    are ignored in the comparison.
    """
    if not title or not body:
        return title or body
    lead = _lead(title)
    if not lead or _lead(body).startswith(lead):
        return body
    if lead.startswith(_lead(body)):
        return title
    return f"{title}\n\n{body}"
