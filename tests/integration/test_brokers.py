"""One contract for every broker adapter: the memory broker and Redis Streams.

Stage code is identical in the embedded and production set-ups only if both adapters
behave the same, so every behaviour a stage relies on is pinned here for both.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from groundswell.core.brokers.base import Broker, Message, open_broker, publish_from_loop
from groundswell.core.brokers.errors import BrokerUnavailableError
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.brokers.redis_streams import RedisStreamsBroker
from groundswell.workers.runner import BatchOutcome, ConsumerLoop

GROUP = "g"
IDLE_MS = 50
IDLE_WAIT_S = 0.12


@pytest.fixture
def stream() -> str:
    return f"test:{uuid.uuid4().hex}"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def broker(request: pytest.FixtureRequest, stream: str) -> Iterator[Broker]:
    if request.param == "memory":
        yield MemoryBroker()
        return
    url = str(request.getfixturevalue("redis_url"))
    adapter = RedisStreamsBroker(url)
    yield adapter
    adapter.close()
    raw = redis.Redis.from_url(url)
    raw.delete(stream)
    raw.close()


def payloads(n: int) -> list[bytes]:
    return [f"m{i}".encode() for i in range(n)]


def test_implements_protocol(broker: Broker) -> None:
    assert isinstance(broker, Broker)


def test_publish_then_read_in_order(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    ids = broker.publish(stream, payloads(5))
    got = broker.read(stream, GROUP, "a", count=10)
    assert [m.id for m in got] == ids
    assert [m.payload for m in got] == payloads(5)
    assert {m.deliveries for m in got} == {1}
    assert broker.publish(stream, []) == []


def test_read_respects_count_and_empty_read_returns_nothing(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, payloads(5))
    assert len(broker.read(stream, GROUP, "a", count=2)) == 2
    assert len(broker.read(stream, GROUP, "a", count=10)) == 3
    assert broker.read(stream, GROUP, "a", count=10) == []
    assert broker.read(stream, GROUP, "a", count=10, block_ms=20) == []


def test_messages_stay_pending_until_acked(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, payloads(3))
    got = broker.read(stream, GROUP, "a", count=10)
    assert broker.pending(stream, GROUP) == 3
    broker.ack(stream, GROUP, [got[0].id, got[1].id])
    assert broker.pending(stream, GROUP) == 1
    broker.ack(stream, GROUP, [got[0].id])
    assert broker.pending(stream, GROUP) == 1
    broker.ack(stream, GROUP, [got[2].id])
    assert broker.pending(stream, GROUP) == 0
    assert broker.read(stream, GROUP, "a", count=10) == []


def test_acked_messages_are_never_reclaimed(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, payloads(2))
    got = broker.read(stream, GROUP, "a", count=10)
    broker.ack(stream, GROUP, [got[0].id])
    time.sleep(IDLE_WAIT_S)
    reclaimed = broker.reclaim(stream, GROUP, "b", min_idle_ms=IDLE_MS, count=10)
    assert [m.id for m in reclaimed] == [got[1].id]


def test_reclaim_after_idle_moves_ownership_and_counts_deliveries(
    broker: Broker, stream: str
) -> None:
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, payloads(3))
    got = broker.read(stream, GROUP, "a", count=10)
    time.sleep(IDLE_WAIT_S)
    reclaimed = broker.reclaim(stream, GROUP, "b", min_idle_ms=IDLE_MS, count=10)
    assert [m.id for m in reclaimed] == [m.id for m in got]
    assert [m.payload for m in reclaimed] == payloads(3)
    assert {m.deliveries for m in reclaimed} == {2}
    assert broker.pending(stream, GROUP) == 3
    # b now owns them: a fresh claim by c finds nothing idle long enough.
    assert broker.reclaim(stream, GROUP, "c", min_idle_ms=60_000, count=10) == []
    time.sleep(IDLE_WAIT_S)
    again = broker.reclaim(stream, GROUP, "c", min_idle_ms=IDLE_MS, count=2)
    assert [m.deliveries for m in again] == [3, 3]
    broker.ack(stream, GROUP, [m.id for m in reclaimed])
    assert broker.pending(stream, GROUP) == 0


def test_reclaim_does_not_steal_fresh_messages(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, payloads(3))
    broker.read(stream, GROUP, "a", count=10)
    assert broker.reclaim(stream, GROUP, "b", min_idle_ms=60_000, count=10) == []
    assert broker.reclaim(stream, "no-such-group", "b", min_idle_ms=0, count=10) == []


def test_backlog_counts_undelivered_and_pending(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    assert broker.backlog(stream, GROUP) == 0
    broker.publish(stream, payloads(5))
    assert broker.backlog(stream, GROUP) == 5
    got = broker.read(stream, GROUP, "a", count=2)
    assert broker.backlog(stream, GROUP) == 5
    broker.ack(stream, GROUP, [m.id for m in got])
    assert broker.backlog(stream, GROUP) == 3
    assert broker.backlog(stream, "no-such-group") == 0
    assert broker.pending(stream, "no-such-group") == 0


def test_two_consumers_share_work_without_duplicates(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    ids = broker.publish(stream, payloads(20))
    first = broker.read(stream, GROUP, "a", count=7)
    second = broker.read(stream, GROUP, "b", count=100)
    assert len(first) == 7
    assert {m.id for m in first}.isdisjoint({m.id for m in second})
    assert sorted([m.id for m in first + second], key=ids.index) == ids


def test_each_group_gets_every_message(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, "one")
    broker.ensure_group(stream, "two")
    broker.publish(stream, payloads(3))
    one = broker.read(stream, "one", "a", count=10)
    broker.ack(stream, "one", [m.id for m in one])
    two = broker.read(stream, "two", "a", count=10)
    assert [m.payload for m in one] == [m.payload for m in two] == payloads(3)


def test_ensure_group_is_idempotent(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, GROUP)
    broker.ensure_group(stream, GROUP)
    broker.publish(stream, payloads(3))
    broker.read(stream, GROUP, "a", count=1)
    broker.ensure_group(stream, GROUP)
    assert len(broker.read(stream, GROUP, "a", count=10)) == 2
    assert broker.pending(stream, GROUP) == 3


# Redis-only behaviour: stream trimming, deleted entries, connection errors.


@pytest.fixture
def redis_broker(redis_url: str, stream: str) -> Iterator[RedisStreamsBroker]:
    adapter = RedisStreamsBroker(redis_url, trim_interval_s=3600)
    yield adapter
    adapter.close()
    raw = redis.Redis.from_url(redis_url)
    raw.delete(stream)
    raw.close()


@pytest.mark.redis
def test_trim_keeps_entries_another_group_still_needs(
    redis_broker: RedisStreamsBroker, redis_url: str, stream: str
) -> None:
    raw = redis.Redis.from_url(redis_url)
    redis_broker.ensure_group(stream, "one")
    redis_broker.ensure_group(stream, "two")
    redis_broker.publish(stream, payloads(6))
    one = redis_broker.read(stream, "one", "a", count=10)
    redis_broker.ack(stream, "one", [m.id for m in one])
    assert redis_broker.trim(stream) == 0
    two = redis_broker.read(stream, "two", "a", count=4)
    redis_broker.ack(stream, "two", [m.id for m in two[1:]])
    assert redis_broker.trim(stream) == 0  # two[0] is still pending
    redis_broker.ack(stream, "two", [two[0].id])
    assert redis_broker.trim(stream) == 4
    assert raw.xlen(stream) == 2
    assert redis_broker.backlog(stream, "two") == 2
    assert [m.payload for m in redis_broker.read(stream, "two", "a", count=10)] == payloads(6)[4:]
    raw.close()


@pytest.mark.redis
def test_ack_trims_the_stream_so_it_does_not_grow(redis_url: str, stream: str) -> None:
    adapter = RedisStreamsBroker(redis_url)
    raw = redis.Redis.from_url(redis_url)
    try:
        adapter.ensure_group(stream, GROUP)
        for _ in range(3):
            adapter.publish(stream, payloads(10))
            got = adapter.read(stream, GROUP, "a", count=100)
            adapter.ack(stream, GROUP, [m.id for m in got])
        assert raw.xlen(stream) == 0
        assert adapter.backlog(stream, GROUP) == 0
    finally:
        adapter.close()
        raw.close()


@pytest.mark.redis
def test_reclaim_skips_entries_deleted_while_pending(
    redis_broker: RedisStreamsBroker, redis_url: str, stream: str
) -> None:
    redis_broker.ensure_group(stream, GROUP)
    redis_broker.publish(stream, payloads(3))
    got = redis_broker.read(stream, GROUP, "a", count=10)
    raw = redis.Redis.from_url(redis_url)
    raw.xdel(stream, got[1].id)
    raw.close()
    time.sleep(IDLE_WAIT_S)
    reclaimed = redis_broker.reclaim(stream, GROUP, "b", min_idle_ms=IDLE_MS, count=10)
    assert [m.id for m in reclaimed] == [got[0].id, got[2].id]
    assert redis_broker.pending(stream, GROUP) == 2
    assert redis_broker.backlog(stream, GROUP) == 2


@pytest.mark.redis
def test_reclaim_pages_through_a_long_pending_list(
    redis_broker: RedisStreamsBroker, stream: str
) -> None:
    redis_broker.ensure_group(stream, GROUP)
    redis_broker.publish(stream, payloads(45))
    redis_broker.read(stream, GROUP, "a", count=45)
    time.sleep(IDLE_WAIT_S)
    # Refresh the oldest 40 so only the last 5 are idle: each XAUTOCLAIM step scans
    # ten entries per requested message, so reaching them takes several steps.
    redis_broker.reclaim(stream, GROUP, "b", min_idle_ms=0, count=40)
    reclaimed = redis_broker.reclaim(stream, GROUP, "c", min_idle_ms=IDLE_MS, count=2)
    assert [m.payload for m in reclaimed] == payloads(45)[40:42]
    rest = redis_broker.reclaim(stream, GROUP, "c", min_idle_ms=IDLE_MS, count=100)
    assert [m.payload for m in rest] == payloads(45)[42:]


def test_unreachable_redis_raises_a_clear_error() -> None:
    adapter = open_broker("redis://127.0.0.1:1/0")
    with pytest.raises(BrokerUnavailableError, match=r"127\.0\.0\.1:1"):
        adapter.publish("s", [b"x"])
    adapter.close()


def test_maxlen_bounds_a_best_effort_stream(broker: Broker, stream: str) -> None:
    broker.ensure_group(stream, "g")
    broker.publish(stream, [f"m{i}".encode() for i in range(1000)], maxlen=10)
    got = broker.read(stream, "g", "c", count=2000)
    # Redis trims approximately, whole internal nodes at a time: the cap holds to within
    # one node (100 entries by default), and the newest entries are always kept.
    assert 10 <= len(got) <= 200
    assert got[-1].payload == b"m999"


def test_publishing_from_an_event_loop_creates_the_group_and_keeps_order(
    broker: Broker, stream: str
) -> None:
    """Webhook routes publish from the event loop (no worker thread): same contract."""

    async def publish_twice() -> tuple[list[str], list[str]]:
        first = await publish_from_loop(broker, stream, GROUP, payloads(1))
        rest = await publish_from_loop(broker, stream, GROUP, payloads(4)[1:])
        return first, rest

    first, rest = asyncio.run(publish_twice())
    got = broker.read(stream, GROUP, "a", count=10)
    assert [m.id for m in got] == first + rest
    assert [m.payload for m in got] == payloads(4)
    assert asyncio.run(publish_from_loop(broker, stream, GROUP, [])) == []


def test_publishing_from_an_event_loop_to_unreachable_redis_raises_a_clear_error() -> None:
    adapter = open_broker("redis://127.0.0.1:1/0")
    with pytest.raises(BrokerUnavailableError, match=r"127\.0\.0\.1:1"):
        asyncio.run(publish_from_loop(adapter, "s", GROUP, [b"x"]))
    adapter.close()


def test_a_woken_memory_read_returns_before_its_wait_runs_out(stream: str) -> None:
    # A stopping loop wakes its own blocked read; without that, the app's shutdown
    # waited for the read's whole wait (a second for the pipeline loop).
    import threading

    broker = MemoryBroker()
    broker.ensure_group(stream, GROUP)
    got: list[list[object]] = []
    reader = threading.Thread(
        target=lambda: got.append(list(broker.read(stream, GROUP, "a", count=5, block_ms=600_000)))
    )
    reader.start()
    deadline = time.monotonic() + 60  # the read alone would wait ten minutes
    while reader.is_alive() and time.monotonic() < deadline:
        broker.wake_readers()  # again, in case the read had not started waiting yet
        reader.join(0.05)
    assert not reader.is_alive()
    assert got == [[]]
    # Later reads block and deliver as before.
    broker.publish(stream, payloads(1))
    assert [m.payload for m in broker.read(stream, GROUP, "a", count=5, block_ms=1000)] == [b"m0"]


def test_a_loop_that_reads_ahead_and_dies_loses_nothing(broker: Broker, stream: str) -> None:
    """Messages read ahead for the next batch are pending on that consumer: when it dies
    another consumer reclaims them, and every message is handled exactly once."""
    handled: list[bytes] = []
    shown: list[int] = []

    def handle(batch: list[Message]) -> BatchOutcome:
        handled.extend(m.payload for m in batch)
        return BatchOutcome(done=[m.id for m in batch])

    def loop(consumer: str, **kw: int | float) -> ConsumerLoop:
        return ConsumerLoop(
            broker,
            stream=stream,
            group=GROUP,
            consumer=consumer,
            handler=handle,
            dead_letter=lambda m, why: None,
            batch_size=3,
            block_ms=0,
            prefetch=lambda batch: shown.append(len(batch)),
            **kw,  # type: ignore[arg-type]
        )

    broker.ensure_group(stream, GROUP)
    broker.publish(stream, payloads(8))
    first = loop("dies", reclaim_every_s=3600)
    assert first.run_once() == 3  # m0-m2 handled, m3-m5 read ahead
    assert shown == [3]
    assert broker.backlog(stream, GROUP) == 5
    time.sleep(IDLE_WAIT_S)
    second = loop("takes-over", reclaim_idle_ms=IDLE_MS, reclaim_every_s=0.0)
    second.drain()
    assert sorted(handled) == sorted(payloads(8))
    assert len(handled) == 8
    assert broker.backlog(stream, GROUP) == 0
