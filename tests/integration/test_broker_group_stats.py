"""Lag and pending per consumer group, as ``/metrics`` reports them, on both brokers."""

from __future__ import annotations

import uuid

from groundswell.core.brokers import Broker
from groundswell.core.brokers.base import GroupStats, group_stats
from groundswell.core.brokers.memory import MemoryBroker


def _exercise(broker: Broker, stream: str) -> list[GroupStats]:
    broker.ensure_group(stream, "a")
    broker.ensure_group(stream, "b")
    broker.publish(stream, [b"1", b"2", b"3"])
    broker.read(stream, "a", "c1", count=1)
    return group_stats(broker, stream)


def test_memory_broker_reports_lag_and_pending() -> None:
    stats = _exercise(MemoryBroker(), "s")
    assert stats == [GroupStats("s", "a", lag=2, pending=1), GroupStats("s", "b", lag=3, pending=0)]


def test_redis_streams_report_xinfo_groups(redis_url: str) -> None:
    from groundswell.core.brokers.redis_streams import RedisStreamsBroker

    broker = RedisStreamsBroker(redis_url)
    stream = f"test.{uuid.uuid4().hex}"
    try:
        stats = _exercise(broker, stream)
        assert sorted(stats, key=lambda g: g.group) == [
            GroupStats(stream, "a", lag=2, pending=1),
            GroupStats(stream, "b", lag=3, pending=0),
        ]
        assert group_stats(broker, "no-such-stream-" + uuid.uuid4().hex) == []
    finally:
        broker._client.delete(stream)
        broker.close()


def test_a_broker_without_group_listing_reports_nothing() -> None:
    class Bare:
        pass

    assert group_stats(Bare(), "s") == []  # type: ignore[arg-type]
