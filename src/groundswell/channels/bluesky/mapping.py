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


MENTION = "app.bsky.richtext.facet#mention"


def mentioned_dids(record: dict[str, Any]) -> set[str]:
    """DIDs a post's facets mention (a malformed facet mentions nobody)."""
    found: set[str] = set()
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if isinstance(feature, dict) and feature.get("$type") == MENTION:
                did = feature.get("did")
                if isinstance(did, str):
                    found.add(did)
    return found


def at_uri_did(uri: str) -> str:
    return uri.removeprefix("at://").split("/", 1)[0]


def jetstream_reason(
    *, record: PostRecord, raw: dict[str, Any], brand_did: str, keywords: tuple[str, ...]
) -> str | None:
    """Why a firehose post concerns the brand: ``mention``, ``reply`` (to one of its posts)
    or ``keyword``; ``None`` for the rest of the network."""
    if brand_did in mentioned_dids(raw):
        return "mention"
    if record.reply is not None and brand_did in {
        at_uri_did(record.reply.parent.uri),
        at_uri_did(record.reply.root.uri),
    }:
        return "reply"
    text = record.text.casefold()
    if any(k.casefold() in text for k in keywords):
        return "keyword"
    return None


def jetstream_to_post(
    *,
    channel: str,
    uri: str,
    cid: str,
    did: str,
    record: PostRecord,
    time_us: int,
    reason: str,
    profile: ProfileView | None,
) -> dict[str, Any]:
    """A Jetstream commit carries only the author's DID: the profile (looked up in a batch)
    adds handle, name and followers when it could be read."""
    if profile is not None:
        post = to_post(
            channel=channel,
            uri=uri,
            cid=cid,
            author=profile,
            record=record,
            indexed_at=record.created_at,
            reason=reason,
        )
    else:
        post = {
            "channel": channel,
            "external_id": uri,
            "text": record.text,
            "created_at": record.created_at.isoformat(),
            "author": {"external_id": did, "profile_url": f"https://bsky.app/profile/{did}"},
            "url": web_url(uri, did),
            "reply_to_external_id": record.reply.parent.uri if record.reply else None,
            "raw": {"cid": cid, "reason": reason},
        }
        if record.reply is not None:
            post["raw"]["reply_root"] = record.reply.root.uri
    post["raw"].pop("indexed_at", None)
    post["raw"]["time_us"] = time_us
    post["raw"]["via"] = "jetstream"
    return post
