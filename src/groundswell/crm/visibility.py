"""Who may read the text of private messages: the one rule every view applies.

Direct messages, email, SMS and chat are one-to-one: the customer wrote to us, not to
the public. Agents (and admins) answer them and read them; other roles see that a
private message exists, when and on which channel, with its text withheld. Every place
that shows interaction text (contact page, timeline APIs, stream, drill-down samples)
passes its rows through :func:`redact`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pydantic import BaseModel

PRIVATE_CHANNELS = frozenset(
    {"email", "sms", "chat", "webchat", "dm", "twitter_dm", "messenger", "whatsapp"}
)
"""Channels whose messages are private (one-to-one): shown only to roles allowed to."""
PRIVATE_ROLES = frozenset({"admin", "agent", "lead"})
"""Agents and their leads answer private messages; analysts work on public talk."""
WITHHELD = "(private message: text hidden for your role)"

T = TypeVar("T", bound=BaseModel)


def may_see_private(role: str) -> bool:
    return role in PRIVATE_ROLES


def is_private(channel_key: str) -> bool:
    return channel_key in PRIVATE_CHANNELS


def redact(items: Iterable[T], *, role: str, channel_field: str = "channel_key") -> list[T]:
    """Copies of ``items`` with the text of private messages withheld for ``role``."""
    rows = list(items)
    if may_see_private(role):
        return rows
    out: list[T] = []
    for item in rows:
        if is_private(str(getattr(item, channel_field, ""))):
            update: dict[str, object] = {"text": WITHHELD}
            if "url" in type(item).model_fields:
                update["url"] = None
            out.append(item.model_copy(update=update))
        else:
            out.append(item)
    return out
