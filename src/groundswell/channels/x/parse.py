"""X API v2 payloads (``data`` + ``includes.users``) into ``InboundPost``-shaped dicts."""

from __future__ import annotations

from typing import Any

CHANNEL = "twitter"


class PayloadRejected(ValueError):
    """A tweet object missing what a post needs; the reason names the field."""


def users_by_id(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    includes = payload.get("includes")
    users = includes.get("users") if isinstance(includes, dict) else None
    if not isinstance(users, list):
        return {}
    return {str(u["id"]): u for u in users if isinstance(u, dict) and "id" in u}


def tweet_to_post(
    tweet: dict[str, Any],
    users: dict[str, dict[str, Any]],
    *,
    channel: str = CHANNEL,
    matching_rules: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    for name in ("id", "text", "author_id", "created_at"):
        if not tweet.get(name):
            raise PayloadRejected(f"tweet.{name} is missing (request it in tweet.fields)")
    author_id = str(tweet["author_id"])
    user = users.get(author_id, {})
    username = user.get("username")
    metrics = user.get("public_metrics") or {}
    parent = next(
        (
            str(ref["id"])
            for ref in tweet.get("referenced_tweets") or []
            if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id")
        ),
        None,
    )
    counts = tweet.get("public_metrics") or {}
    return {
        "channel": channel,
        "external_id": str(tweet["id"]),
        "direction": "in",
        "text": str(tweet["text"]),
        "created_at": str(tweet["created_at"]),
        "author": {
            "external_id": author_id,
            "handle": username,
            "display_name": user.get("name"),
            "followers": metrics.get("followers_count"),
            "verified": bool(user.get("verified", False)),
            "profile_url": f"https://x.com/{username}" if username else None,
            "bio": user.get("description") or None,
            "location": str(user["location"])[:200] if user.get("location") else None,
        },
        "url": f"https://x.com/{username or 'i'}/status/{tweet['id']}",
        "reply_to_external_id": parent,
        "engagement": {
            "likes": int(counts.get("like_count", 0) or 0),
            "shares": int(counts.get("retweet_count", 0) or 0),
            "replies": int(counts.get("reply_count", 0) or 0),
        },
        "raw": {
            "conversation_id": tweet.get("conversation_id"),
            "lang": tweet.get("lang"),
            "matching_rules": [r.get("tag") for r in matching_rules or [] if isinstance(r, dict)],
        },
    }


def page_to_posts(
    payload: dict[str, Any], *, channel: str = CHANNEL
) -> tuple[list[dict[str, Any]], list[str]]:
    """Posts of a timeline page, plus the reasons for tweets that were skipped."""
    users = users_by_id(payload)
    posts: list[dict[str, Any]] = []
    skipped: list[str] = []
    for tweet in payload.get("data") or []:
        if not isinstance(tweet, dict):
            skipped.append("data[] item is not an object")
            continue
        try:
            posts.append(tweet_to_post(tweet, users, channel=channel))
        except PayloadRejected as exc:
            skipped.append(f"{tweet.get('id', '?')}: {exc}")
    return posts, skipped
