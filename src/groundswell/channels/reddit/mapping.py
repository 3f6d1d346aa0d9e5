"""Reddit things → ``InboundPost``-shaped dicts (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from groundswell.channels.reddit.schemas import Comment, Link

SITE = "https://www.reddit.com"


def _author(name: str) -> dict[str, Any]:
    return {
        "external_id": name,
        "handle": f"u/{name}",
        "display_name": name,
        "profile_url": f"{SITE}/user/{name}",
    }


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


def link_to_post(link: Link, *, channel: str) -> dict[str, Any] | None:
    if link.author == "[deleted]":
        return None
    text = link.title if not link.selftext.strip() else f"{link.title}\n\n{link.selftext}"
    return {
        "channel": channel,
        "external_id": link.name,
        "text": text,
        "created_at": _when(link.created_utc),
        "author": _author(link.author),
        "url": SITE + link.permalink,
        "reply_to_external_id": None,
        "engagement": {"likes": max(0, link.score), "replies": link.num_comments},
        "raw": {"subreddit": link.subreddit, "kind": "t3"},
    }


def comment_to_post(comment: Comment, *, channel: str) -> dict[str, Any] | None:
    if comment.author == "[deleted]" or comment.body in ("[deleted]", "[removed]"):
        return None
    return {
        "channel": channel,
        "external_id": comment.name,
        "text": comment.body,
        "created_at": _when(comment.created_utc),
        "author": _author(comment.author),
        "url": SITE + comment.permalink,
        "reply_to_external_id": comment.parent_id,
        "engagement": {"likes": max(0, comment.score)},
        "raw": {"subreddit": comment.subreddit, "kind": "t1", "link_id": comment.link_id},
    }
