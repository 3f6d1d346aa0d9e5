"""The one broker protocol every pipeline stage talks to.

Its shape follows Redis Streams consumer groups (publish, read for a consumer, ack,
reclaim abandoned messages) because that is the production adapter; the in-process
adapter mimics the same semantics so stage code is identical in both set-ups.
Delivery is at least once: a stage must be idempotent, and acknowledges only after its
database transaction has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Message:
    """One delivery of a message: ``id`` is the broker's, ``deliveries`` counts attempts."""

    id: str
    payload: bytes
    deliveries: int = 1


@runtime_checkable
class Broker(Protocol):
    def ensure_group(self, stream: str, group: str) -> None:
        """Create the consumer group (and stream) if missing; idempotent."""

    def publish(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        """Append messages; returns their ids in order.

        ``maxlen`` bounds a best-effort stream (events nobody may be reading yet); the
        oldest entries go first. Never set it on a stream of work that must not be lost.
        """

    def read(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int = 0
    ) -> list[Message]:
        """New messages for this consumer; they stay pending until acknowledged."""

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        """Acknowledge (and forget) processed messages."""

    def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Message]:
        """Take over messages left pending by another consumer for at least ``min_idle_ms``."""

    def pending(self, stream: str, group: str) -> int:
        """How many delivered messages are not yet acknowledged."""

    def backlog(self, stream: str, group: str) -> int:
        """Messages not yet delivered to the group plus those pending."""

    def wake_readers(self) -> None:
        """Make reads blocked right now return at once (with nothing, if nothing came).

        A stopping loop sets its stop flag, then wakes its own blocked read, so it ends
        now rather than when the read's wait runs out.
        """

    def close(self) -> None: ...


@runtime_checkable
class AsyncPublisher(Protocol):
    """A broker that can also publish from an event loop without a worker thread."""

    async def apublish(self, stream: str, group: str, payloads: Sequence[bytes]) -> list[str]:
        """Ensure ``group`` exists on ``stream`` and append ``payloads``, awaiting I/O."""


async def publish_from_loop(
    broker: Broker, stream: str, group: str, payloads: Sequence[bytes]
) -> list[str]:
    """Publish from async code (a webhook route) without blocking its event loop.

    Adapters that speak their protocol asynchronously are awaited directly; the others
    run in a worker thread. A thread hop costs a context switch and a wake-up of the
    loop per request, which at hundreds of deliveries a second is most of a webhook's
    tail latency on a small machine.
    """
    if isinstance(broker, AsyncPublisher):
        return await broker.apublish(stream, group, payloads)

    def publish() -> list[str]:
        broker.ensure_group(stream, group)
        return broker.publish(stream, payloads)

    return await asyncio.to_thread(publish)


@dataclass(frozen=True, slots=True)
class GroupStats:
    """One consumer group's lag (not yet delivered) and pending (delivered, not acked)."""

    stream: str
    group: str
    lag: int
    pending: int


def group_stats(broker: Broker, stream: str) -> list[GroupStats]:
    """Every consumer group of a stream with its lag and pending count, for monitoring.

    Both adapters list their groups (``groups``); an adapter without that method reports
    nothing rather than guessing group names.
    """
    lister = getattr(broker, "groups", None)
    if lister is None:
        return []
    return list(lister(stream))


def open_broker(url: str) -> Broker:
    """Open the broker a URL names: ``memory://`` or ``redis://host:port/db``."""
    if url.startswith("memory://"):
        from groundswell.core.brokers.memory import MemoryBroker

        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from groundswell.core.brokers.redis_streams import RedisStreamsBroker

        return RedisStreamsBroker(url)
    raise ValueError(f"unsupported broker URL scheme: {url.split('://', 1)[0]!r}")
