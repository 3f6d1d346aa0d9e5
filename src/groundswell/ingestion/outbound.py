"""Recognise posts written by the company's own accounts, so they count as outbound.

Formats that know which side wrote a post say so (``direction``; twcs's ``inbound``
column). Others do not: a data set of tweets mentioning a brand also holds the brand's own
replies, and an API client may not set ``direction``. ``GROUNDSWELL_BRAND_ACCOUNTS`` lists
the company's accounts; any post whose author is one of them is outbound whatever the
source said. Outbound posts are kept out of customers' sentiment, intents and the
listening rollups' counts (see docs/sentiment-model.md, "Outbound posts").
"""

from __future__ import annotations

from dataclasses import dataclass

from groundswell.ingestion.schemas import InboundPost

MAX_ACCOUNTS = 1_000
MAX_ACCOUNT_LENGTH = 200


class BrandAccountsError(ValueError):
    """The account list is malformed; the message names the entry."""


@dataclass(frozen=True)
class BrandAccounts:
    """Accounts as ``channel:handle`` (one channel) or ``handle`` (every channel)."""

    anywhere: frozenset[str] = frozenset()
    by_channel: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def parse(cls, spec: str) -> BrandAccounts:
        """Parse a comma-separated list like ``twitter:AmericanAir, @AppleSupport``.

        Handles are compared without a leading ``@`` and case-insensitively, as the
        networks do.
        """
        anywhere: set[str] = set()
        by_channel: set[tuple[str, str]] = set()
        entries = [e.strip() for e in spec.split(",") if e.strip()]
        if len(entries) > MAX_ACCOUNTS:
            raise BrandAccountsError(f"{len(entries)} accounts; at most {MAX_ACCOUNTS}")
        for entry in entries:
            if len(entry) > MAX_ACCOUNT_LENGTH:
                raise BrandAccountsError(f"account {entry[:40]!r}… is too long")
            channel, _, handle = entry.rpartition(":")
            handle = _fold(handle)
            if not handle:
                raise BrandAccountsError(f"account {entry!r} names no handle")
            if channel:
                by_channel.add((channel.strip().lower(), handle))
            else:
                anywhere.add(handle)
        return cls(frozenset(anywhere), frozenset(by_channel))

    def __bool__(self) -> bool:
        return bool(self.anywhere or self.by_channel)

    def owns(self, channel: str, handle: str | None, external_id: str) -> bool:
        """Whether the author (by handle or account id) is one of the company's accounts."""
        for name in (handle, external_id):
            if not name:
                continue
            folded = _fold(name)
            if folded in self.anywhere or (channel, folded) in self.by_channel:
                return True
        return False

    def mark(self, post: InboundPost) -> InboundPost:
        """``post``, made outbound if one of the company's accounts wrote it."""
        if post.direction == "out" or not self:
            return post
        if self.owns(post.channel, post.author.handle, post.author.external_id):
            return post.model_copy(update={"direction": "out"})
        return post


def _fold(name: str) -> str:
    return name.strip().lstrip("@").casefold()
