"""Mastodon entities → ``InboundPost``-shaped dicts (pure; no I/O)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from groundswell.channels.common.html_text import html_to_text
from groundswell.channels.mastodon.schemas import Account, Notification, Status

PRIVATE_VISIBILITIES = frozenset({"direct"})
"""Status visibilities that make a post a private message: ``direct`` is seen only by the
accounts it mentions (a DM); ``public``, ``unlisted`` and followers-only are not one-to-one."""
POST_TYPES = frozenset({"mention"})
"""Notification types that carry a post to listen to; the others are counted and skipped."""


def full_handle(account: Account, instance_host: str) -> str:
    """``user@host``: local accounts come as ``user`` and get the instance's host."""
    return account.acct if "@" in account.acct else f"{account.acct}@{instance_host}"


def host_of(base_url: str) -> str:
    return urlsplit(base_url).netloc or base_url


def status_to_post(
    status: Status, *, channel: str, instance_host: str, notification_id: str | None = None
) -> dict[str, Any] | None:
    """The post a status is, or None when it carries no text of its own (a plain boost)."""
    if status.reblog is not None:
        return None
    text = html_to_text(status.content)
    if status.spoiler_text:
        text = f"{status.spoiler_text.strip()}\n{text}" if text else status.spoiler_text.strip()
    handle = full_handle(status.account, instance_host)
    raw: dict[str, Any] = {"visibility": status.visibility, "instance": instance_host}
    if notification_id:
        raw["notification_id"] = notification_id
    if status.uri:
        raw["uri"] = status.uri
    return {
        "channel": channel,
        "external_id": status.id,
        "text": text,
        "created_at": status.created_at.isoformat(),
        "author": {
            "external_id": handle,
            "handle": f"@{handle}",
            "display_name": status.account.display_name or status.account.username,
            "followers": status.account.followers_count,
            "profile_url": status.account.url,
            "bio": html_to_text(status.account.note)[:2000] or None,
        },
        "url": status.url,
        "reply_to_external_id": status.in_reply_to_id,
        "private": status.visibility in PRIVATE_VISIBILITIES,
        "engagement": {
            "likes": status.favourites_count,
            "shares": status.reblogs_count,
            "replies": status.replies_count,
        },
        "raw": raw,
    }


def notification_to_post(
    notification: Notification, *, channel: str, instance_host: str
) -> dict[str, Any] | None:
    if notification.type not in POST_TYPES or notification.status is None:
        return None
    return status_to_post(
        notification.status,
        channel=channel,
        instance_host=instance_host,
        notification_id=notification.id,
    )
