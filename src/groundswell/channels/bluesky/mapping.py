"""AT Protocol views → ``InboundPost``-shaped dicts (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from groundswell.channels.bluesky.schemas import PostRecord, ProfileView

POST_REASONS = frozenset({"mention", "reply", "quote"})
"""Notification reasons that carry a post; likes, reposts and follows are skipped."""


def web_url(uri: str, handle: str) -> str:
    """``at://did/app.bsky.feed.post/rkey`` → the bsky.app page of the post."""
    rkey = uri.rsplit("/", 1)[-1]
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def to_post(
    *,
    channel: str,
    uri: str,
    cid: str,
    author: ProfileView,
    record: PostRecord,
    indexed_at: datetime,
    reason: str | None = None,
    counts: tuple[int, int, int] = (0, 0, 0),
) -> dict[str, Any]:
    raw: dict[str, Any] = {"cid": cid, "indexed_at": indexed_at.isoformat()}
    if reason:
        raw["reason"] = reason
    if record.reply is not None:
        raw["reply_root"] = record.reply.root.uri
    likes, reposts, replies = counts
    return {
        "channel": channel,
        "external_id": uri,
        "text": record.text,
        "created_at": record.created_at.isoformat(),
        "author": {
            "external_id": author.did,
            "handle": f"@{author.handle}",
            "display_name": author.display_name or author.handle,
            "followers": author.followers_count,
            "profile_url": f"https://bsky.app/profile/{author.handle}",
            "bio": (author.description or None),
        },
        "url": web_url(uri, author.handle),
        "reply_to_external_id": record.reply.parent.uri if record.reply else None,
        "engagement": {"likes": likes, "shares": reposts, "replies": replies},
        "raw": raw,
    }
