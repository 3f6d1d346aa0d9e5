"""In-process broker for the embedded set-up.

Thread-safe, with the same at-least-once semantics as the Redis adapter: messages read
by a consumer stay pending until acknowledged and can be reclaimed after an idle time.
Nothing survives the process; the embedded set-up accepts that because its producers
(import, replay, API) run in the same process as the worker and wait for it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from groundswell.core.brokers.base import GroupStats, Message


@dataclass
class _Pending:
    payload: bytes
    consumer: str
    since: float
    deliveries: int


@dataclass
class _Group:
    queue: deque[tuple[str, bytes]] = field(default_factory=deque)
    pending: OrderedDict[str, _Pending] = field(default_factory=OrderedDict)


class MemoryBroker:
    def __init__(self) -> None:
        self._groups: dict[str, dict[str, _Group]] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._wakes = 0

    def ensure_group(self, stream: str, group: str) -> None:
        with self._cond:
            self._groups.setdefault(stream, {}).setdefault(group, _Group())

    def publish(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        """Queue for every existing group; with no group the messages are dropped.

        ``maxlen`` keeps at most that many undelivered messages per group (oldest go).
        """
        with self._cond:
            groups = self._groups.setdefault(stream, {})
            ids = [f"{next(self._ids)}-0" for _ in payloads]
            for g in groups.values():
                g.queue.extend(zip(ids, payloads, strict=True))
                while maxlen is not None and len(g.queue) > maxlen:
                    g.queue.popleft()
            self._cond.notify_all()
            return ids

    async def apublish(self, stream: str, group: str, payloads: Sequence[bytes]) -> list[str]:
        """In memory there is no I/O to wait for: a short lock, then done."""
        self.ensure_group(stream, group)
        return self.publish(stream, payloads)

    def read(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int = 0
    ) -> list[Message]:
        deadline = time.monotonic() + block_ms / 1000
        with self._cond:
            g = self._groups.setdefault(stream, {}).setdefault(group, _Group())
            wakes = self._wakes
            while not g.queue and block_ms > 0 and self._wakes == wakes:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            out: list[Message] = []
            now = time.monotonic()
            while g.queue and len(out) < count:
                mid, payload = g.queue.popleft()
                g.pending[mid] = _Pending(payload, consumer, now, 1)
                out.append(Message(mid, payload, 1))
            return out

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        with self._cond:
            g = self._groups.get(stream, {}).get(group)
            if g is None:
                return
            for mid in ids:
                g.pending.pop(mid, None)
            self._cond.notify_all()

    def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Message]:
        with self._cond:
            g = self._groups.get(stream, {}).get(group)
            if g is None:
                return []
            now = time.monotonic()
            out: list[Message] = []
            for mid, p in g.pending.items():
                if len(out) >= count:
                    break
                if (now - p.since) * 1000 >= min_idle_ms:
                    p.consumer, p.since, p.deliveries = consumer, now, p.deliveries + 1
                    out.append(Message(mid, p.payload, p.deliveries))
            return out

    def pending(self, stream: str, group: str) -> int:
        with self._cond:
            g = self._groups.get(stream, {}).get(group)
            return len(g.pending) if g else 0

    def backlog(self, stream: str, group: str) -> int:
        with self._cond:
            g = self._groups.get(stream, {}).get(group)
            return len(g.queue) + len(g.pending) if g else 0

    def groups(self, stream: str) -> list[GroupStats]:
        with self._cond:
            return [
                GroupStats(stream, name, lag=len(g.queue), pending=len(g.pending))
                for name, g in sorted(self._groups.get(stream, {}).items())
            ]

    def wait_idle(self, stream: str, group: str, timeout: float | None = None) -> bool:
        """Block until the group has nothing queued or pending (used by embedded import)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                g = self._groups.get(stream, {}).get(group)
                if g is None or (not g.queue and not g.pending):
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining if remaining is not None else 0.5)

    def wake_readers(self) -> None:
        with self._cond:
            self._wakes += 1
            self._cond.notify_all()

    def close(self) -> None:
        return None
