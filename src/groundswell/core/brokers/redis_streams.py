"""Redis Streams adapter of the broker protocol (the production set-up).

One stream per stage, one consumer group per reading stage, one consumer name per worker
process. Each message is a stream entry with the payload under the single field ``p``.

Acknowledged entries are removed by trimming the stream's head (``XTRIM MINID``) up to
the oldest entry some group still needs, rather than by ``XDEL`` of each acked id: a
stream may feed several groups, and ``XDEL`` would take an entry away from a group that
has not read it yet. Trimming only the head also keeps ``XINFO GROUPS`` ``lag`` exact,
which ``XDEL`` tombstones would make unknown. Nothing is trimmed by length, so work not
yet acknowledged is never dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
import redis.asyncio as aredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from groundswell.core.brokers.base import GroupStats, Message
from groundswell.core.brokers.errors import BrokerUnavailableError

FIELD = b"p"
MAX_BLOCK_MS = 30_000
"""Longest blocking read; the socket timeout is set above it so a dead server is noticed."""
_SOCKET_TIMEOUT_S = MAX_BLOCK_MS / 1000 + 30

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ConsumerInfo:
    name: str
    pending: int
    idle_ms: int
    """Since the consumer last tried to read: a live worker blocks on reads and stays low."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _next_id(entry_id: str) -> str:
    """The smallest stream id greater than ``entry_id``."""
    ms, seq = entry_id.split("-")
    return f"{ms}-{int(seq) + 1}"


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


class RedisStreamsBroker:
    """Broker over Redis ≥ 7 streams and consumer groups; see the module docstring.

    ``trim_interval_s`` spaces out the trim that follows an ack. The default, 0, trims
    after every ack: with batches of 500 that costs a few percent of throughput and
    keeps each stream no longer than its unacknowledged work, even after a burst.
    """

    def __init__(self, url: str, *, trim_interval_s: float = 0.0) -> None:
        self._url_for_errors = url.split("@")[-1]
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=False,
            socket_connect_timeout=5,
            socket_timeout=_SOCKET_TIMEOUT_S,
            health_check_interval=30,
        )
        self._trim_interval_s = trim_interval_s
        self._last_trim: dict[str, float] = {}
        self._groups: set[tuple[str, str]] = set()
        self._url = url
        self._aclient: aredis.Redis | None = None
        self._aloop: asyncio.AbstractEventLoop | None = None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise BrokerUnavailableError(
                f"Redis broker at {self._url_for_errors} is unavailable: {exc}"
            ) from exc

    def _with_group(self, stream: str, group: str, call: Callable[[], T]) -> T:
        """Run ``call``, creating the group first if Redis says it is missing.

        The memory adapter creates groups on first use; this keeps both alike.
        """
        try:
            return call()
        except ResponseError as exc:
            if not str(exc).startswith("NOGROUP"):
                raise
        self.ensure_group(stream, group)
        return call()

    def ensure_group(self, stream: str, group: str) -> None:
        """Create the group once per broker: every publish asks, and a create that Redis
        refuses with BUSYGROUP costs a round trip and an error reply each time. A group
        lost with the server (a restart without persistence) is recreated by the readers,
        which retry on NOGROUP, from the stream's start."""
        if (stream, group) in self._groups:
            return
        with self._errors():
            try:
                self._client.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as exc:
                if not str(exc).startswith("BUSYGROUP"):
                    raise
        self._groups.add((stream, group))

    def publish(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        """Append all payloads in one MULTI/EXEC, so a batch is stored whole or not at all.

        ``maxlen`` caps a best-effort stream (approximately, which is cheap in Redis); work
        streams leave it unset and are trimmed only past what every group acknowledged.
        """
        if not payloads:
            return []
        if len(payloads) == 1:  # one XADD is atomic on its own: no MULTI/EXEC round trip
            with self._errors():
                if maxlen is None:
                    one = self._client.xadd(stream, {FIELD: payloads[0]})
                else:
                    one = self._client.xadd(
                        stream, {FIELD: payloads[0]}, maxlen=maxlen, approximate=True
                    )
            return [_text(one)]
        with self._errors():
            pipe = self._client.pipeline(transaction=True)
            for payload in payloads:
                if maxlen is None:
                    pipe.xadd(stream, {FIELD: payload})
                else:
                    pipe.xadd(stream, {FIELD: payload}, maxlen=maxlen, approximate=True)
            return [_text(i) for i in pipe.execute()]

    def _async_client(self) -> aredis.Redis:
        """The asyncio client of the running loop (a client's connections belong to one)."""
        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aloop is not loop:
            self._aclient = aredis.Redis.from_url(
                self._url,
                decode_responses=False,
                socket_connect_timeout=5,
                socket_timeout=_SOCKET_TIMEOUT_S,
                health_check_interval=30,
            )
            self._aloop = loop
        return self._aclient

    async def apublish(self, stream: str, group: str, payloads: Sequence[bytes]) -> list[str]:
        """``ensure_group`` + ``publish`` for an event loop: awaited, no worker thread."""
        if not payloads:
            return []
        client = self._async_client()
        try:
            if (stream, group) not in self._groups:
                try:
                    await client.xgroup_create(stream, group, id="0", mkstream=True)
                except ResponseError as exc:
                    if not str(exc).startswith("BUSYGROUP"):
                        raise
                self._groups.add((stream, group))
            if len(payloads) == 1:
                return [_text(await client.xadd(stream, {FIELD: payloads[0]}))]
            async with client.pipeline(transaction=True) as pipe:
                for payload in payloads:
                    pipe.xadd(stream, {FIELD: payload})
                return [_text(i) for i in await pipe.execute()]
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise BrokerUnavailableError(
                f"Redis broker at {self._url_for_errors} is unavailable: {exc}"
            ) from exc

    def read(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int = 0
    ) -> list[Message]:
        """``XREADGROUP ... >``; ``block_ms=0`` returns at once (Redis would block forever)."""
        block = min(block_ms, MAX_BLOCK_MS) if block_ms > 0 else None

        def call() -> Any:
            return self._client.xreadgroup(group, consumer, {stream: ">"}, count=count, block=block)

        with self._errors():
            response = self._with_group(stream, group, call)
        out: list[Message] = []
        for _name, entries in response or []:
            for entry_id, fields in entries:
                out.append(Message(_text(entry_id), fields.get(FIELD, b""), 1))
        return out

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._errors():
            self._client.xack(stream, group, *ids)
            now = time.monotonic()
            if now - self._last_trim.get(stream, float("-inf")) >= self._trim_interval_s:
                self._last_trim[stream] = now
                self._trim(stream)

    def trim(self, stream: str) -> int:
        """Drop entries every group has acknowledged; returns how many were removed."""
        with self._errors():
            return self._trim(stream)

    def _trim(self, stream: str) -> int:
        """Trim the head up to the oldest entry still needed by any group.

        For each group that is its oldest pending id, or else the id after its last
        delivered one. Both only move forward, so a bound computed here stays safe even
        if other workers read or ack before the ``XTRIM`` runs.
        """
        try:
            groups = self._client.xinfo_groups(stream)
        except ResponseError:
            return 0
        if not groups:
            return 0
        pipe = self._client.pipeline(transaction=False)
        for g in groups:
            pipe.xpending(stream, g["name"])
        bounds: list[str] = []
        for g, summary in zip(groups, pipe.execute(), strict=True):
            if summary["pending"]:
                bounds.append(_text(summary["min"]))
            else:
                bounds.append(_next_id(_text(g["last-delivered-id"])))
        bound = min(bounds, key=_id_key)
        if bound == "0-1":
            return 0
        return int(self._client.xtrim(stream, minid=bound, approximate=False))

    def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Message]:
        """``XAUTOCLAIM`` over the whole pending list, then ``XPENDING`` for the counters.

        Entries deleted from the stream while pending come back from ``XAUTOCLAIM`` as
        bare ids (Redis ≥ 7 also drops them from the pending list); there is nothing to
        deliver for them, so they are skipped.
        """
        claimed: list[tuple[str, bytes]] = []
        cursor = "0-0"
        with self._errors():
            while len(claimed) < count:
                cursor, entries = self._autoclaim(
                    stream, group, consumer, min_idle_ms, cursor, count - len(claimed)
                )
                claimed.extend(entries)
                if cursor == "0-0":
                    break
            if not claimed:
                return []
            deliveries = self._delivery_counts(stream, group, [i for i, _ in claimed])
        return [
            Message(entry_id, payload, deliveries[entry_id])
            for entry_id, payload in claimed
            if entry_id in deliveries
        ]

    def _autoclaim(
        self, stream: str, group: str, consumer: str, min_idle_ms: int, start: str, count: int
    ) -> tuple[str, list[tuple[str, bytes]]]:
        """One ``XAUTOCLAIM`` step: the next cursor and the entries that still exist."""

        def call() -> Any:
            return self._client.xautoclaim(stream, group, consumer, min_idle_ms, start, count=count)

        response = self._with_group(stream, group, call)
        entries = [
            (_text(entry_id), fields.get(FIELD, b""))
            for entry_id, fields in response[1]
            if entry_id is not None and fields is not None
        ]
        return _text(response[0]), entries

    def _delivery_counts(self, stream: str, group: str, ids: list[str]) -> dict[str, int]:
        """Delivery counter of each id still pending (one pipelined round trip)."""
        pipe = self._client.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(stream, group, min=entry_id, max=entry_id, count=1)
        counts: dict[str, int] = {}
        for rows in pipe.execute():
            for row in rows:
                counts[_text(row["message_id"])] = int(row["times_delivered"])
        return counts

    def pending(self, stream: str, group: str) -> int:
        with self._errors():
            try:
                summary = self._client.xpending(stream, group)
            except ResponseError as exc:
                if str(exc).startswith("NOGROUP"):
                    return 0
                raise
        return int(summary["pending"])

    def backlog(self, stream: str, group: str) -> int:
        """Group ``lag`` (entries not yet delivered) plus entries pending."""
        with self._errors():
            try:
                groups = self._client.xinfo_groups(stream)
            except ResponseError:
                return 0
            for g in groups:
                if _text(g["name"]) != group:
                    continue
                lag = g.get("lag")
                if lag is None:
                    lag = self._count_after(stream, _text(g["last-delivered-id"]))
                return int(lag) + int(g["pending"])
        return 0

    def groups(self, stream: str) -> list[GroupStats]:
        """``XINFO GROUPS``: each group's ``lag`` and ``pending`` (empty if no stream)."""
        with self._errors():
            try:
                rows = self._client.xinfo_groups(stream)
            except ResponseError:
                return []
            found = []
            for g in rows:
                lag = g.get("lag")
                if lag is None:
                    lag = self._count_after(stream, _text(g["last-delivered-id"]))
                found.append(
                    GroupStats(stream, _text(g["name"]), lag=int(lag), pending=int(g["pending"]))
                )
        return found

    def _count_after(self, stream: str, last_id: str) -> int:
        """Fallback when Redis cannot report ``lag`` (entries were ``XDEL``-ed past it)."""
        total, start = 0, f"({last_id}"
        while True:
            rows = self._client.xrange(stream, min=start, max="+", count=10_000) or []
            last = rows[-1][0] if rows else None
            if last is None:
                return total
            total += len(rows)
            start = f"({_text(last)}"

    def consumers(self, stream: str, group: str) -> list[ConsumerInfo]:
        """The group's consumers with their pending count and idle time (ms)."""
        with self._errors():
            try:
                rows = self._client.xinfo_consumers(stream, group)
            except ResponseError:
                return []
        return [
            ConsumerInfo(
                name=_text(row["name"]), pending=int(row["pending"]), idle_ms=int(row["idle"])
            )
            for row in rows
        ]

    def prune_consumers(self, stream: str, group: str, *, idle_ms: int) -> list[str]:
        """Remove consumers idle longer than ``idle_ms`` with nothing pending; their names.

        A worker that died leaves its consumer behind; one with pending entries keeps
        them until another worker reclaims them, so only empty ones are removed.
        """
        removed = []
        for consumer in self.consumers(stream, group):
            if consumer.pending == 0 and consumer.idle_ms > idle_ms:
                with self._errors():
                    self._client.xgroup_delconsumer(stream, group, consumer.name)
                removed.append(consumer.name)
        return removed

    def wake_readers(self) -> None:
        """Nothing to do: a blocked ``XREADGROUP`` cannot be cut short from another
        thread, and the loops read with waits of a second or less, so a stopping loop
        ends within that."""

    def close(self) -> None:
        self._client.close()
        client, loop = self._aclient, self._aloop
        self._aclient = self._aloop = None
        if client is None or loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return
        if running is loop:  # an app's shutdown: let the loop close its connections
            loop.create_task(client.aclose())
