"""A Reddit stand-in: the OAuth token endpoint, listings and ``/api/comment``.

Both of Reddit's hosts (``www`` for tokens, ``oauth`` for the API) are this one server.
Listings are ``{"kind": "Listing", "data": {...}}`` newest first, and honour ``before``
(the page just newer than a fullname) and ``limit``; every answer carries the
``X-Ratelimit-*`` headers; ``/api/comment`` answers in the ``api_type=json`` envelope.
"""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from groundswell.channels.common.standin import Request, Response, StandinServer


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


class RedditStandin(StandinServer):
    name = "reddit"

    def __init__(
        self,
        *,
        client_id: str = "standin-app",
        client_secret: str = "standin-secret",  # noqa: S107
        username: str = "acme_support",
        password: str = "standin-password",  # noqa: S107
    ) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.tokens: set[str] = set()
        self.things: list[dict[str, Any]] = []
        """Every t1/t3 in creation order (``{"kind": .., "data": ..}``)."""
        self.rate_limited = 0
        self.retry_after = 2
        """Seconds a 429 asks for (PRAW then waits that long before its next request)."""
        self.clock = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        self._ids = itertools.count(46_656_000)

    # -- scripting ------------------------------------------------------------------------
    def _thing(self, kind: str, sub: str, author: str, **data: Any) -> dict[str, Any]:
        self.clock = self.advance(self.clock, timedelta(seconds=15))
        thing_id = _b36(next(self._ids))
        base = {
            "id": thing_id,
            "name": f"{kind}_{thing_id}",
            "author": author,
            "author_fullname": f"t2_{_b36(abs(hash(author)) % 10**9)}",
            "created_utc": self.clock.timestamp(),
            "subreddit": sub,
            "subreddit_name_prefixed": f"r/{sub}",
            "score": 1,
            "ups": 1,
            "downs": 0,
        }
        base.update(data)
        thing = {"kind": kind, "data": base}
        self.things.append(thing)
        return thing

    def submission(self, sub: str, author: str, title: str, selftext: str = "") -> dict[str, Any]:
        thing = self._thing(
            "t3", sub, author, title=title, selftext=selftext, num_comments=0, is_self=True
        )
        data = thing["data"]
        data["permalink"] = (
            f"/r/{sub}/comments/{data['id']}/{title[:20].lower().replace(' ', '_')}/"
        )
        data["url"] = "https://www.reddit.com" + data["permalink"]
        return thing

    def comment(self, parent: dict[str, Any], author: str, body: str) -> dict[str, Any]:
        pdata = parent["data"]
        link_id = pdata["name"] if parent["kind"] == "t3" else pdata["link_id"]
        thing = self._thing(
            "t1", pdata["subreddit"], author, body=body, parent_id=pdata["name"], link_id=link_id
        )
        data = thing["data"]
        data["permalink"] = f"/r/{pdata['subreddit']}/comments/{link_id[3:]}/_/{data['id']}/"
        return thing

    def find(self, fullname: str) -> dict[str, Any] | None:
        return next((t for t in self.things if t["data"].get("name") == fullname), None)

    # -- HTTP -----------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-remaining": "598.0",
            "x-ratelimit-used": "2",
            "x-ratelimit-reset": "420",
        }

    def handle(self, request: Request) -> Response:
        if request.path == "/api/v1/access_token":
            return self._token(request)
        auth = (
            (request.header("Authorization") or "").removeprefix("bearer ").removeprefix("Bearer ")
        )
        if auth not in self.tokens:
            return Response(401, {"message": "Unauthorized", "error": 401}, headers=self._headers())
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return Response(
                429,
                {"message": "Too Many Requests", "error": 429},
                headers={
                    "retry-after": str(self.retry_after),
                    "x-ratelimit-used": "600",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(self.retry_after),
                },
            )
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 3 and parts[0] == "r":
            return self._listing(request, parts[1], parts[2])
        if request.method == "GET" and parts[:1] == ["user"] and parts[2:] == ["comments"]:
            mine = [t for t in reversed(self.things) if t["data"]["author"] == parts[1]]
            return Response(
                200,
                self._envelope(mine[: int(request.arg("limit") or 25)]),
                headers=self._headers(),
            )
        if request.method == "POST" and request.path.rstrip("/") == "/api/comment":
            return self._comment(request)
        return Response(404, {"message": "Not Found", "error": 404}, headers=self._headers())

    def _envelope(self, things: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "kind": "Listing",
            "data": {
                "after": things[-1]["data"]["name"] if things else None,
                "before": None,
                "dist": len(things),
                "modhash": "",
                "children": things,
            },
        }

    def _listing(self, request: Request, sub: str, feed: str) -> Response:
        kind = {"new": "t3", "comments": "t1"}.get(feed)
        if kind is None:
            return Response(404, {"message": "Not Found", "error": 404})
        items = [t for t in self.things if t["kind"] == kind and t["data"]["subreddit"] == sub]
        limit = min(int(request.arg("limit") or 25), 100)
        before = request.arg("before")
        if before:
            names = [t["data"]["name"] for t in items]
            if before not in names:
                page: list[dict[str, Any]] = []  # as Reddit does when the anchor is gone
            else:
                page = items[names.index(before) + 1 :][:limit]
        else:
            page = items[-limit:]
        return Response(200, self._envelope(list(reversed(page))), headers=self._headers())

    def _token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.header("Authorization") != f"Basic {expected}":
            return Response(401, {"message": "Unauthorized", "error": 401})
        form = request.form()
        if (
            form.get("grant_type") != ["password"]
            or form.get("username") != [self.username]
            or form.get("password") != [self.password]
        ):
            return Response(200, {"error": "invalid_grant"})
        token = f"tok-{len(self.tokens) + 1}"
        self.tokens.add(token)
        return Response(
            200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def _comment(self, request: Request) -> Response:
        form = request.form()
        parent = self.find((form.get("thing_id") or [""])[0])
        text = (form.get("text") or [""])[0]
        if parent is None:
            errors = [["INVALID_THING_ID", "that thing does not exist", "thing_id"]]
            return Response(200, {"json": {"errors": errors}}, headers=self._headers())
        if not text.strip():
            errors = [["NO_TEXT", "we need something here", "text"]]
            return Response(200, {"json": {"errors": errors}}, headers=self._headers())
        thing = self.comment(parent, self.username, text)
        body = {"json": {"errors": [], "data": {"things": [thing]}}}
        return Response(200, body, headers=self._headers())
