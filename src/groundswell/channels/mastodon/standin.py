"""A Mastodon instance stand-in: the REST and streaming endpoints the connector uses.

Speaks the documented wire format: notifications filtered by ``types[]`` and paged by
``min_id`` / ``since_id`` / ``max_id`` (newest first), ``POST /api/v1/statuses`` honouring
``Idempotency-Key``, bearer-token auth with Mastodon's error bodies, ``429`` with
``X-RateLimit-*`` headers on demand, and ``/api/v1/streaming/user/notification`` as
server-sent events.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from groundswell.channels.common.standin import (
    Request,
    Response,
    StandinServer,
    Stream,
    sse_event,
)

HOME = "social.example"


def account(account_id: str, username: str, *, remote: str | None = None) -> dict[str, Any]:
    acct = f"{username}@{remote}" if remote else username
    host = remote or HOME
    return {
        "id": account_id,
        "username": username,
        "acct": acct,
        "display_name": username.title(),
        "locked": False,
        "bot": False,
        "created_at": "2022-11-01T00:00:00.000Z",
        "note": "<p>Just a customer</p>",
        "url": f"https://{host}/@{username}",
        "avatar": f"https://{host}/avatars/{username}.png",
        "followers_count": 12,
        "following_count": 30,
        "statuses_count": 200,
        "emojis": [],
        "fields": [],
    }


def status(
    status_id: str,
    author: dict[str, Any],
    content: str,
    *,
    created_at: datetime,
    in_reply_to_id: str | None = None,
    visibility: str = "public",
) -> dict[str, Any]:
    host = HOME
    return {
        "id": status_id,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "in_reply_to_id": in_reply_to_id,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": visibility,
        "language": "en",
        "uri": f"https://{host}/users/{author['username']}/statuses/{status_id}",
        "url": f"https://{host}/@{author['username']}/{status_id}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": content,
        "reblog": None,
        "account": author,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


class MastodonStandin(StandinServer):
    name = "mastodon"

    def __init__(self, *, token: str = "standin-token") -> None:  # noqa: S107
        super().__init__()
        self.token = token
        self.me = account("1", "brand")
        self.notifications: list[dict[str, Any]] = []
        self.statuses: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.rate_limited = 0
        """Answer this many of the next requests with 429."""
        self.live: queue.Queue[bytes | None] = queue.Queue()
        self._ids = itertools.count(100_000)
        self._lock2 = threading.Lock()
        self.clock = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    # -- scripting the instance ----------------------------------------------------------
    def next_id(self) -> str:
        with self._lock2:
            return str(next(self._ids))

    def mention(
        self,
        username: str,
        text: str,
        *,
        in_reply_to_id: str | None = None,
        visibility: str = "public",
        push: bool = False,
        remote: str | None = None,
    ) -> dict[str, Any]:
        """A customer mentions the brand: a status and its ``mention`` notification."""
        self.clock = self.advance(self.clock, timedelta(seconds=30))
        author = account(f"9{abs(hash(username)) % 10_000}", username, remote=remote)
        body = (
            f'<p><span class="h-card"><a href="https://{HOME}/@brand">@brand</a></span> {text}</p>'
        )
        st = status(
            self.next_id(),
            author,
            body,
            created_at=self.clock,
            in_reply_to_id=in_reply_to_id,
            visibility=visibility,
        )
        self.statuses[st["id"]] = st
        note = {
            "id": self.next_id(),
            "type": "mention",
            "created_at": st["created_at"],
            "account": author,
            "status": st,
        }
        self.notifications.append(note)
        if push:
            self.live.put(sse_event("notification", json.dumps(note)))
        return note

    def push_raw(self, event: str, data: str) -> None:
        self.live.put(sse_event(event, data))

    def end_stream(self) -> None:
        self.live.put(None)

    # -- HTTP ----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response | Stream:
        if request.header("Authorization") != f"Bearer {self.token}":
            return Response(401, {"error": "The access token is invalid"})
        if self.rate_limited > 0:
            self.rate_limited -= 1
            reset = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
            return Response(
                429,
                {"error": "Too many requests"},
                headers={
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                },
            )
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299"}
        path = request.path
        if request.method == "GET" and path == "/api/v1/notifications":
            return Response(200, self._notifications(request), headers=headers)
        if request.method == "GET" and path.startswith("/api/v1/timelines/tag/"):
            return Response(200, [], headers=headers)
        if request.method == "POST" and path == "/api/v1/statuses":
            return self._post_status(request)
        if request.method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return Response(200, self.me)
        if request.method == "GET" and path == f"/api/v1/accounts/{self.me['id']}/statuses":
            mine = [s for s in self.statuses.values() if s["account"]["id"] == self.me["id"]]
            return Response(200, sorted(mine, key=lambda s: int(s["id"]), reverse=True)[:40])
        if request.method == "GET" and path.startswith("/api/v1/statuses/"):
            found = self.statuses.get(path.rsplit("/", 1)[-1])
            return Response(200, found) if found else Response(404, {"error": "Record not found"})
        if request.method == "GET" and path == "/api/v1/streaming/user/notification":
            return Stream(self._live())
        return Response(404, {"error": "Record not found"})

    def _notifications(self, request: Request) -> list[dict[str, Any]]:
        types = request.query.get("types[]") or request.query.get("types")
        items = [n for n in self.notifications if not types or n["type"] in types]
        items.sort(key=lambda n: int(n["id"]))
        limit = min(int(request.arg("limit") or 40), 80)
        min_id, since_id, max_id = (
            request.arg("min_id"),
            request.arg("since_id"),
            request.arg("max_id"),
        )
        if max_id:
            items = [n for n in items if int(n["id"]) < int(max_id)]
        if min_id:
            # The page immediately newer than min_id.
            items = [n for n in items if int(n["id"]) > int(min_id)][:limit]
        else:
            if since_id:
                items = [n for n in items if int(n["id"]) > int(since_id)]
            items = items[-limit:]
        return list(reversed(items))

    def _post_status(self, request: Request) -> Response:
        content_type = request.header("Content-Type") or ""
        if content_type.startswith("application/json"):
            form = {k: v if isinstance(v, list) else [str(v)] for k, v in request.json().items()}
        else:
            form = request.form()
        text = (form.get("status") or [""])[0]
        if not text.strip():
            return Response(422, {"error": "Validation failed: Text can't be blank"})
        if len(text) > 500:
            return Response(
                422, {"error": "Validation failed: Text character limit of 500 exceeded"}
            )
        key = request.header("Idempotency-Key")
        if key and key in self.by_key:
            return Response(200, self.statuses[self.by_key[key]])
        reply_to = (form.get("in_reply_to_id") or [None])[0]
        if reply_to and reply_to not in self.statuses:
            return Response(404, {"error": "Record not found"})
        self.clock = self.advance(self.clock, timedelta(seconds=5))
        st = status(
            self.next_id(),
            self.me,
            "<p>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</p>",
            created_at=self.clock,
            in_reply_to_id=reply_to,
            visibility=(form.get("visibility") or ["public"])[0],
        )
        self.statuses[st["id"]] = st
        if key:
            self.by_key[key] = st["id"]
        return Response(200, st)

    def _live(self) -> Iterator[bytes]:
        yield b":)\n\n"
        while not self.closing.is_set():
            try:
                chunk = self.live.get(timeout=0.2)
            except queue.Empty:
                continue
            if chunk is None:
                return
            yield chunk
