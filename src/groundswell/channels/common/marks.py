"""A high-water mark for feeds that only page backwards from the newest item.

Bluesky's listNotifications and searchPosts, YouTube's commentThreads: their page tokens
lead to older items, never to newer ones, so resuming means paging back from the newest
until the last item already seen. The mark is that item's time plus the ids seen at
exactly that time, so an item indexed in the same instant is neither lost nor read twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Mark:
    """The newest time seen in a feed and the ids (URIs) seen at exactly that time."""

    at: datetime | None = None
    uris: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, value: object) -> Mark:
        if isinstance(value, dict):
            uris = value.get("uris")
            return cls(
                parse_time(value.get("at")),
                {u for u in uris if isinstance(u, str)} if isinstance(uris, list) else set(),
            )
        return cls(parse_time(value))

    def seen(self, uri: str, at: datetime) -> bool:
        return self.at is not None and (at < self.at or (at == self.at and uri in self.uris))

    def advance(self, uri: str, at: datetime) -> None:
        if self.at is None or at > self.at:
            self.at, self.uris = at, {uri}
        elif at == self.at:
            self.uris.add(uri)

    def dump(self) -> dict[str, object] | None:
        if self.at is None:
            return None
        return {"at": iso_z(self.at), "uris": sorted(self.uris)[:500]}
