"""An in-process stand-in network for the demo and browser tests: replies never leave
the machine.

It honours the connector protocol fully (capabilities, idempotency key, ``lookup_sent``)
so the reply outbox, retries and in-doubt reconciliation run exactly as with a real
network. The page labels it as a stand-in. Registered only for channels that have no
real connector, so a configured connector always wins.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from threading import Lock

from groundswell.channels.base import Capabilities, Reply, SendResult
from groundswell.channels.registry import ConnectorRegistry, UnknownChannel

CAPABILITIES = {
    "twitter": Capabilities(public=True, private=True, max_length=280),
    "email": Capabilities(public=False, private=True, max_length=20000),
}
DEFAULT_CAPS = Capabilities(public=True, private=True, max_length=1000)


@dataclass
class StandInNetwork:
    key: str
    label: str = ""
    posts: dict[str, SendResult] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: Lock = field(default_factory=Lock)

    def __post_init__(self) -> None:
        self.label = self.label or f"{self.key} (local stand-in — nothing leaves this machine)"

    def capabilities(self) -> Capabilities:
        return CAPABILITIES.get(self.key, DEFAULT_CAPS)

    def send_reply(self, reply: Reply) -> SendResult:
        with self._lock:
            found = self.posts.get(reply.idempotency_key)
            if found is not None:  # the same key twice is the same post
                return found
            result = SendResult(external_id=f"standin-{next(self._ids)}", url=None)
            self.posts[reply.idempotency_key] = result
            self.texts[result.external_id] = reply.text
            return result

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        with self._lock:
            return self.posts.get(reply.idempotency_key)


def register_standins(registry: ConnectorRegistry, keys: list[str]) -> list[str]:
    """Register a stand-in for each key without a connector; returns those registered."""
    added = []
    for key in keys:
        key = key.strip()
        if not key:
            continue
        try:
            registry.get(key)
        except UnknownChannel:
            registry.register(StandInNetwork(key))
            added.append(key)
    return added
