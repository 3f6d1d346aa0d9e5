"""Who may read the text of private messages: the one rule every view applies.

Direct messages, email, SMS and chat are one-to-one: the customer wrote to us, not to
the public. Agents (and admins) answer them and read them; other roles see that a
private message exists, when and on which channel, with its text withheld. Every place
that shows interaction text (contact page, timeline APIs, stream, drill-down samples)
passes its rows through :func:`redact`.

Privacy belongs to the message, not to the channel: a Facebook page's channel carries
public comments and Messenger conversations, a Mastodon account's channel public toots
and ``direct`` statuses, and an admin may name a mailbox ``support-mail``. So each stored
interaction carries a ``private`` flag, set when it is stored (:func:`stored_private`)
from what the connector said, the kind of connector behind the channel, and the
historical channel-key list, which is kept only so that nothing once hidden shows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TypeVar

from pydantic import BaseModel

PRIVATE_CHANNELS = frozenset(
    {"email", "sms", "chat", "webchat", "dm", "twitter_dm", "messenger", "whatsapp"}
)
"""Channel keys whose every message is private whatever the post says (the rule before
messages carried their own flag; kept so a post imported on ``email`` stays private)."""
PRIVATE_KINDS = frozenset({"email", "sms", "webchat"})
"""Connector kinds with no public side (``Capabilities.public`` is false): every post on
a channel one of them serves is private, whatever the channel's key."""
PRIVATE_ROLES = frozenset({"admin", "agent", "lead"})
"""Agents and their leads answer private messages; analysts work on public talk."""
WITHHELD = "(private message: text hidden for your role)"

T = TypeVar("T", bound=BaseModel)


def may_see_private(role: str) -> bool:
    return role in PRIVATE_ROLES


def stored_private(
    *, flagged: bool, channel_key: str, private_keys: Collection[str] = frozenset()
) -> bool:
    """Whether a message is stored as private.

    ``flagged`` is what the connector or import said; ``private_keys`` are the keys of
    channels served by a private-only kind (:data:`PRIVATE_KINDS`).
    """
    return flagged or channel_key in PRIVATE_CHANNELS or channel_key in private_keys


def is_private(item: object) -> bool:
    """Whether a read row (or a channel key, for callers without a row) is private.

    A row's own ``private`` flag decides; the channel-key list still applies on top, so a
    row read from a store written before the flag existed never shows more than before.
    """
    if isinstance(item, str):
        return item in PRIVATE_CHANNELS
    if getattr(item, "private", False) is True:
        return True
    return str(getattr(item, "channel_key", "")) in PRIVATE_CHANNELS


def redact(items: Iterable[T], *, role: str) -> list[T]:
    """Copies of ``items`` with the text (and link) of private messages withheld for ``role``."""
    rows = list(items)
    if may_see_private(role):
        return rows
    out: list[T] = []
    for item in rows:
        if is_private(item):
            update: dict[str, object] = {"text": WITHHELD}
            if "url" in type(item).model_fields:
                update["url"] = None
            out.append(item.model_copy(update=update))
        else:
            out.append(item)
    return out
