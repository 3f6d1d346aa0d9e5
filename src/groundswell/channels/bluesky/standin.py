"""A Bluesky PDS stand-in: the XRPC endpoints the connector calls, in their wire format.

``/xrpc/<nsid>`` with bearer-JWT sessions from ``com.atproto.server.createSession``,
notifications and search paged newest-first with opaque cursors, ``getPosts``,
``createRecord`` (which checks the reply's root and parent strong refs against stored
posts, as the AppView would thread them) and ``listRecords``. ``429`` answers carry the
``ratelimit-*`` headers the real service sends.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from groundswell.channels.common.standin import Request, Response, StandinServer

_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def fake_cid(seed: str) -> str:
    digest = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode().lower()
    return "bafyrei" + digest.rstrip("=")[:52]


def fake_did(name: str) -> str:
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode().lower()
    return "did:plc:" + digest[:24]


def _jwt(did: str, scope: str) -> str:
    def b64(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    now = int(time.time())
    header = b64({"typ": "at+jwt", "alg": "ES256K"})
    payload = b64({"scope": scope, "sub": did, "iat": now, "exp": now + 7200, "aud": "did:web:x"})
    return f"{header}.{payload}.c2lnbmF0dXJl"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyStandin(StandinServer):
    name = "bluesky"

    def __init__(self, *, handle: str = "acme.bsky.social", password: str = "app-pass") -> None:  # noqa: S107
        super().__init__()
        self.account_handle = handle
        self.password = password
        self.did = fake_did(handle)
        self.tokens: set[str] = set()
        self.posts: dict[str, dict[str, Any]] = {}
        """PostView by at:// URI."""
        self.notifications: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []
        """What createRecord stored for the brand, oldest first."""
        self.rate_limited = 0
        self.clock = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        self._tids = itertools.count(1)
        self.handles: dict[str, str] = {}
        """Handle by DID of every profile shown (``getProfiles`` answers from it)."""
        self.hide_profiles = False

    def profile(self, handle: str) -> dict[str, Any]:
        self.handles[fake_did(handle)] = handle
        return {
            "did": fake_did(handle),
            "handle": handle,
            "displayName": handle.split(".")[0].title(),
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{fake_did(handle)}/x@jpeg",
            "labels": [],
            "createdAt": "2024-02-01T00:00:00.000Z",
        }

    def _tid(self) -> str:
        n = 7_000_000_000_000_000 + next(self._tids)
        out = ""
        for _ in range(13):
            out = _B32[n % 32] + out
            n //= 32
        return out

    # -- scripting ------------------------------------------------------------------------
    def post(
        self,
        handle: str,
        text: str,
        *,
        reply_to: str | None = None,
        reason: str | None = "mention",
        same_instant: bool = False,
    ) -> dict[str, Any]:
        """A customer posts; with ``reason`` it also notifies the brand."""
        if not same_instant:
            self.clock = self.advance(self.clock, timedelta(seconds=20))
        author = self.profile(handle)
        uri = f"at://{author['did']}/app.bsky.feed.post/{self._tid()}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(self.clock - timedelta(seconds=1)),
            "langs": ["en"],
        }
        if reply_to:
            parent = self.posts[reply_to]
            root = parent["record"].get("reply", {}).get("root") or {
                "uri": parent["uri"],
                "cid": parent["cid"],
            }
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        view = {
            "uri": uri,
            "cid": fake_cid(uri),
            "author": author,
            "record": record,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": iso(self.clock),
            "labels": [],
        }
        self.posts[uri] = view
        if reason:
            self.notifications.append(
                {
                    "uri": uri,
                    "cid": view["cid"],
                    "author": author,
                    "reason": reason,
                    "record": record,
                    "isRead": False,
                    "indexedAt": iso(self.clock),
                    "labels": [],
                }
            )
        return view

    # -- HTTP -----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        nsid = request.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            return self._create_session(request)
        auth = (request.header("Authorization") or "").removeprefix("Bearer ")
        if auth not in self.tokens:
            return Response(401, {"error": "AuthenticationRequired", "message": "Invalid token"})
        if self.rate_limited > 0:
            self.rate_limited -= 1
            reset = int(time.time()) + 30
            return Response(
                429,
                {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                headers={
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(reset),
                    "ratelimit-policy": "3000;w=300",
                },
            )
        if nsid == "app.bsky.actor.getProfile":
            return Response(200, self.profile(self.account_handle) | {"did": self.did})
        if nsid == "app.bsky.actor.getProfiles":
            dids = [] if self.hide_profiles else request.query.get("actors", [])
            known = [self.profile(self.handles[d]) for d in dids if d in self.handles]
            return Response(200, {"profiles": [p | {"followersCount": 12} for p in known]})
        if nsid == "app.bsky.notification.listNotifications":
            items = list(reversed(self.notifications))
            return Response(200, self._page(request, items, "notifications"))
        if nsid == "app.bsky.feed.searchPosts":
            q = (request.arg("q") or "").lower()
            since = request.arg("since")
            hits = [p for p in self.posts.values() if q in p["record"]["text"].lower()]
            if since:
                floor = datetime.fromisoformat(since.replace("Z", "+00:00"))
                hits = [
                    p
                    for p in hits
                    if datetime.fromisoformat(p["indexedAt"].replace("Z", "+00:00")) >= floor
                ]
            hits.sort(key=lambda p: p["indexedAt"], reverse=True)
            return Response(200, self._page(request, hits, "posts"))
        if nsid == "app.bsky.feed.getPosts":
            uris = request.query.get("uris", [])
            return Response(200, {"posts": [self.posts[u] for u in uris if u in self.posts]})
        if nsid == "com.atproto.repo.createRecord" and request.method == "POST":
            return self._create_record(request.json())
        if nsid == "com.atproto.repo.listRecords":
            recent = list(reversed(self.records))[: int(request.arg("limit") or 50)]
            return Response(200, {"records": recent})
        return Response(501, {"error": "MethodNotImplemented", "message": f"{nsid}"})

    def _page(self, request: Request, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
        start = int(request.arg("cursor") or 0)
        limit = min(int(request.arg("limit") or 50), 100)
        page = items[start : start + limit]
        body: dict[str, Any] = {key: page}
        if start + limit < len(items):
            body["cursor"] = str(start + limit)
        return body

    def _create_session(self, request: Request) -> Response:
        body = request.json() or {}
        if (
            body.get("identifier") not in (self.account_handle, self.did)
            or body.get("password") != self.password
        ):
            return Response(
                401,
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
            )
        access = _jwt(self.did, "com.atproto.appPass")
        self.tokens.add(access)
        return Response(
            200,
            {
                "accessJwt": access,
                "refreshJwt": _jwt(self.did, "com.atproto.refresh"),
                "handle": self.account_handle,
                "did": self.did,
                "active": True,
            },
        )

    def _create_record(self, body: dict[str, Any]) -> Response:
        record = body.get("record") or {}
        if body.get("repo") != self.did or body.get("collection") != "app.bsky.feed.post":
            return Response(400, {"error": "InvalidRequest", "message": "bad repo or collection"})
        if not isinstance(record.get("text"), str) or len(record["text"]) > 300:
            return Response(
                400, {"error": "InvalidRecord", "message": "Invalid app.bsky.feed.post record"}
            )
        reply = record.get("reply")
        if reply:
            for part in ("root", "parent"):
                ref = reply.get(part) or {}
                known = self.posts.get(ref.get("uri", ""))
                if not known or known["cid"] != ref.get("cid"):
                    return Response(
                        400,
                        {"error": "InvalidRequest", "message": f"reply.{part} is not a strong ref"},
                    )
        uri = f"at://{self.did}/app.bsky.feed.post/{body.get('rkey') or self._tid()}"
        cid = fake_cid(uri)
        self.records.append({"uri": uri, "cid": cid, "value": record})
        self.clock = self.advance(self.clock, timedelta(seconds=5))
        self.posts[uri] = {
            "uri": uri,
            "cid": cid,
            "author": self.profile(self.account_handle) | {"did": self.did},
            "record": record,
            "indexedAt": iso(self.clock),
        }
        return Response(200, {"uri": uri, "cid": cid, "validationStatus": "valid"})
