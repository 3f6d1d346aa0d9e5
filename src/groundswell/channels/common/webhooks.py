"""Which ``WebhookSource`` answers ``POST /api/v1/webhooks/<channel>``, and replay memory.

The API route looks the channel up here; the process that holds the channel accounts
registers a source per configured webhook channel. ``ReplayGuard`` remembers delivery ids
for as long as their signed timestamp is acceptable, so a captured delivery replayed
within the window is refused, and one replayed later fails the timestamp check. It is
per process: across processes a replayed post is still absorbed by the pipeline's
idempotence by (channel, external id).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from groundswell.channels.base import WebhookRejected, WebhookSource

DEFAULT_MAX_BODY = 1024 * 1024


@runtime_checkable
class SubscriptionHandshake(Protocol):
    """A network that confirms a webhook subscription with a GET (Meta's ``hub.challenge``)."""

    def verify_subscription(self, params: Mapping[str, str]) -> str:
        """The text to answer with; raise ``WebhookRejected`` to refuse."""
        ...


class WebhookRegistry:
    def __init__(self) -> None:
        self._sources: dict[str, WebhookSource] = {}
        self._lock = threading.Lock()

    def register(self, source: WebhookSource) -> None:
        with self._lock:
            self._sources[source.key] = source

    def unregister(self, key: str) -> None:
        with self._lock:
            self._sources.pop(key, None)

    def get(self, key: str) -> WebhookSource | None:
        return self._sources.get(key)

    def keys(self) -> list[str]:
        return sorted(self._sources)


webhooks = WebhookRegistry()
"""The process-wide registry the API route reads (tests build their own)."""


def max_body_of(source: WebhookSource) -> int:
    value = getattr(source, "max_body_bytes", DEFAULT_MAX_BODY)
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_BODY


class ReplayGuard:
    """Delivery ids seen in the last ``window`` seconds, bounded to ``capacity`` entries."""

    def __init__(self, *, window: float = 300.0, capacity: int = 100_000) -> None:
        self.window = window
        self.capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def check_and_remember(self, delivery_id: str, *, now: float | None = None) -> None:
        """Raise ``WebhookRejected`` (409) if this id was already accepted in the window."""
        now = time.time() if now is None else now
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at <= self.window and len(self._seen) < self.capacity:
                    break
                self._seen.pop(oldest)
            if delivery_id in self._seen:
                raise WebhookRejected(
                    f"delivery {delivery_id[:100]} was already received", status=409
                )
            self._seen[delivery_id] = now
