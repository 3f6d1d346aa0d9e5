"""A YouTube Data API stand-in: ``commentThreads`` (newest first, ``pageToken``),
``comments.insert``, bearer auth and Google's error envelope (``quotaExceeded``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from groundswell.channels.common.standin import Request, Response, StandinServer


def _error(code: int, reason: str, message: str) -> Response:
    domain = "youtube.quota" if reason == "quotaExceeded" else "global"
    body = {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }
    return Response(code, body)


class YouTubeStandin(StandinServer):
    name = "youtube"

    def __init__(
        self,
        *,
        token: str = "standin-oauth",  # noqa: S107
        channel_id: str = "UCacmeair0000000000000a",
    ) -> None:
        super().__init__()
        self.token, self.channel_id = token, channel_id
        self.threads: list[dict[str, Any]] = []
        self.inserted: list[dict[str, Any]] = []
        self.quota_exceeded = False
        self.clock = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        self._ids = itertools.count(1)

    def _comment(
        self, author: str, text: str, video: str, parent: str | None = None
    ) -> dict[str, Any]:
        self.clock = self.advance(self.clock, timedelta(seconds=40))
        cid = f"Ugz{next(self._ids):05d}AaBbCc"
        snippet: dict[str, Any] = {
            "channelId": self.channel_id,
            "videoId": video,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": f"@{author}",
            "authorProfileImageUrl": f"https://yt3.ggpht.com/{author}",
            "authorChannelUrl": f"http://www.youtube.com/@{author}",
            "authorChannelId": {"value": f"UC{author:0<22}"[:24]},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": self.clock.isoformat().replace("+00:00", "Z"),
            "updatedAt": self.clock.isoformat().replace("+00:00", "Z"),
        }
        if parent:
            snippet["parentId"] = parent
        return {"kind": "youtube#comment", "etag": f"e{cid}", "id": cid, "snippet": snippet}

    def comment(self, author: str, text: str, video: str = "dQw4w9WgXcQ") -> dict[str, Any]:
        top = self._comment(author, text, video)
        thread = {
            "kind": "youtube#commentThread",
            "etag": f"t{top['id']}",
            "id": top["id"],
            "snippet": {
                "channelId": self.channel_id,
                "videoId": video,
                "topLevelComment": top,
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        }
        self.threads.append(thread)
        return thread

    def handle(self, request: Request) -> Response:
        if request.header("Authorization") != f"Bearer {self.token}":
            return _error(401, "authError", "Request had invalid authentication credentials.")
        if self.quota_exceeded:
            return _error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your quota.",
            )
        if request.method == "GET" and request.path == "/youtube/v3/commentThreads":
            if request.arg("allThreadsRelatedToChannelId") != self.channel_id:
                return _error(404, "channelNotFound", "channel not found")
            newest_first = list(reversed(self.threads))
            start = int(request.arg("pageToken") or 0)
            size = min(int(request.arg("maxResults") or 20), 100)
            page = newest_first[start : start + size]
            body: dict[str, Any] = {
                "kind": "youtube#commentThreadListResponse",
                "etag": "list",
                "pageInfo": {"totalResults": len(page), "resultsPerPage": size},
                "items": page,
            }
            if start + size < len(newest_first):
                body["nextPageToken"] = str(start + size)
            return Response(200, body)
        if request.method == "POST" and request.path == "/youtube/v3/comments":
            snippet = (request.json() or {}).get("snippet") or {}
            parent = snippet.get("parentId")
            thread = next((t for t in self.threads if t["id"] == parent), None)
            if thread is None:
                return _error(
                    404, "commentNotFound", "The comment identified by parentId could not be found."
                )
            reply = self._comment(
                "acmeair", snippet.get("textOriginal", ""), thread["snippet"]["videoId"], parent
            )
            thread.setdefault("replies", {"comments": []})["comments"].append(reply)
            thread["snippet"]["totalReplyCount"] += 1
            self.inserted.append(reply)
            return Response(200, reply)
        return _error(404, "notFound", "Not Found")
