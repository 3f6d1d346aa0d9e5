"""Which thread a post belongs to, decided from reply-to ids alone (pure logic).

A conversation is named by its root post's external id. A reply joins its parent's
conversation; when the parent is not known yet, the reply starts a conversation named
after the parent, which the parent joins when it arrives. Posts are placed in creation
order so a parent and its reply in the same batch thread correctly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Key = tuple[str, str]
"""(channel key, external id)."""


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Either a known conversation id or the root external id of one to find or create."""

    conversation_id: int | None = None
    root: str | None = None


def assign_threads(
    posts: Sequence[tuple[Key, str | None]],
    known_parents: Mapping[Key, int],
) -> dict[Key, ThreadRef]:
    """Map each post key to its thread.

    ``posts`` are (key, reply_to external id) in creation order; ``known_parents`` maps
    already stored posts to their conversation ids.
    """
    out: dict[Key, ThreadRef] = {}
    for key, reply_to in posts:
        channel, external_id = key
        if reply_to is None:
            out[key] = ThreadRef(root=external_id)
            continue
        parent = (channel, reply_to)
        if parent in out:
            out[key] = out[parent]
        elif parent in known_parents:
            out[key] = ThreadRef(conversation_id=known_parents[parent])
        else:
            out[key] = ThreadRef(root=reply_to)
    return out
