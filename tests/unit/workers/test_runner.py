"""ConsumerLoop over the memory broker: what is acked, retried, and dead-lettered."""

from __future__ import annotations

import logging
import threading
from collections import Counter

import pytest

from groundswell.core.brokers.base import Message
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.workers.runner import BatchOutcome, ConsumerLoop

STREAM, GROUP = "s", "g"


class Recorder:
    """A handler whose failures are scripted per payload; records every attempt."""

    def __init__(self, fail: set[bytes] | None = None, raise_times: int = 0) -> None:
        self.fail = fail or set()
        self.raise_times = raise_times
        self.attempts: Counter[bytes] = Counter()
        self.batches: list[list[Message]] = []

    def __call__(self, batch: list[Message]) -> BatchOutcome:
        self.batches.append(batch)
        for m in batch:
            self.attempts[m.payload] += 1
        if self.raise_times > 0:
            self.raise_times -= 1
            raise RuntimeError("database is down")
        out = BatchOutcome()
        for m in batch:
            if m.payload in self.fail:
                out.failed[m.id] = "bad row"
            else:
                out.done.append(m.id)
        return out


class DeadLetters:
    def __init__(self) -> None:
        self.got: list[tuple[Message, str]] = []

    def __call__(self, message: Message, reason: str) -> None:
        self.got.append((message, reason))


def make_loop(
    broker: MemoryBroker, handler: Recorder, dead: DeadLetters, **kw: int | float
) -> ConsumerLoop:
    options: dict[str, int | float] = {
        "batch_size": 10,
        "block_ms": 0,
        "reclaim_idle_ms": 0,
        "reclaim_every_s": 0.0,
        "max_deliveries": 3,
    }
    options.update(kw)
    return ConsumerLoop(
        broker,
        stream=STREAM,
        group=GROUP,
        consumer="c1",
        handler=handler,
        dead_letter=dead,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def broker() -> MemoryBroker:
    b = MemoryBroker()
    b.ensure_group(STREAM, GROUP)
    return b


def test_acks_only_done_messages(broker: MemoryBroker) -> None:
    handler, dead = Recorder(fail={b"bad"}), DeadLetters()
    loop = make_loop(broker, handler, dead, reclaim_every_s=3600)
    broker.publish(STREAM, [b"a", b"bad", b"c"])
    assert loop.run_once() == 2
    assert broker.pending(STREAM, GROUP) == 1
    assert broker.backlog(STREAM, GROUP) == 1
    assert dead.got == []


def test_batch_size_limits_a_round(broker: MemoryBroker) -> None:
    handler, dead = Recorder(), DeadLetters()
    loop = make_loop(broker, handler, dead, batch_size=2)
    broker.publish(STREAM, [b"1", b"2", b"3"])
    assert loop.run_once() == 2
    assert loop.run_once() == 1
    assert [len(b) for b in handler.batches] == [2, 1]


def test_failed_messages_are_redelivered_on_reclaim(broker: MemoryBroker) -> None:
    handler, dead = Recorder(fail={b"bad"}), DeadLetters()
    loop = make_loop(broker, handler, dead)
    broker.publish(STREAM, [b"ok", b"bad"])
    loop.run_once()
    handler.fail.clear()
    assert loop.run_once() == 1
    assert handler.attempts == {b"ok": 1, b"bad": 2}
    assert handler.batches[-1][0].deliveries == 2
    assert broker.backlog(STREAM, GROUP) == 0


def test_reclaim_waits_for_idle_time(broker: MemoryBroker) -> None:
    handler, dead = Recorder(fail={b"bad"}), DeadLetters()
    loop = make_loop(broker, handler, dead, reclaim_idle_ms=60_000)
    broker.publish(STREAM, [b"bad"])
    loop.run_once()
    assert loop.run_once() == 0
    assert handler.attempts == {b"bad": 1}


def test_dead_letter_after_max_deliveries(broker: MemoryBroker) -> None:
    handler, dead = Recorder(fail={b"poison"}), DeadLetters()
    loop = make_loop(broker, handler, dead, max_deliveries=3)
    broker.publish(STREAM, [b"poison", b"fine"])
    for _ in range(5):
        loop.run_once()
    assert handler.attempts == {b"poison": 3, b"fine": 1}
    assert len(dead.got) == 1
    message, reason = dead.got[0]
    assert message.payload == b"poison"
    assert message.deliveries == 4
    assert "3 deliveries" in reason
    assert "bad row" in reason
    assert broker.backlog(STREAM, GROUP) == 0


def test_a_dead_letter_that_raises_leaves_the_message_pending(broker: MemoryBroker) -> None:
    handler = Recorder(fail={b"poison"})

    def broken_dead_letter(message: Message, reason: str) -> None:
        raise RuntimeError("dead-letter table missing")

    loop = ConsumerLoop(
        broker,
        stream=STREAM,
        group=GROUP,
        consumer="c1",
        handler=handler,
        dead_letter=broken_dead_letter,
        block_ms=0,
        reclaim_idle_ms=0,
        reclaim_every_s=0.0,
        max_deliveries=1,
    )
    broker.publish(STREAM, [b"poison"])
    loop.run_once()
    with pytest.raises(RuntimeError):
        loop.run_once()
    assert broker.pending(STREAM, GROUP) == 1


def test_handler_exception_leaves_messages_pending(broker: MemoryBroker) -> None:
    handler, dead = Recorder(raise_times=1), DeadLetters()
    loop = make_loop(broker, handler, dead)
    broker.publish(STREAM, [b"a", b"b"])
    with pytest.raises(RuntimeError):
        loop.run_once()
    assert broker.pending(STREAM, GROUP) == 2
    assert loop.run_once() == 2
    assert broker.backlog(STREAM, GROUP) == 0


def test_ids_the_handler_does_not_mention_stay_pending(broker: MemoryBroker) -> None:
    loop = make_loop(broker, Recorder(), DeadLetters(), reclaim_every_s=3600, max_deliveries=1)
    loop.handler = lambda batch: BatchOutcome(done=[batch[0].id, "not-in-batch"])
    broker.publish(STREAM, [b"a", b"b"])
    assert loop.run_once() == 1
    assert broker.pending(STREAM, GROUP) == 1


def test_run_survives_handler_errors_and_stops_on_event(broker: MemoryBroker) -> None:
    handler, dead = Recorder(raise_times=1), DeadLetters()
    loop = make_loop(broker, handler, dead, block_ms=20)
    broker.publish(STREAM, [b"a"])
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    try:
        assert broker.wait_idle(STREAM, GROUP, timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert handler.attempts[b"a"] == 2


def test_start_up_reclaim_takes_over_a_dead_consumers_work(broker: MemoryBroker) -> None:
    broker.publish(STREAM, [b"a", b"b"])
    broker.read(STREAM, GROUP, "dead-consumer", count=10)
    handler, dead = Recorder(), DeadLetters()
    loop = make_loop(broker, handler, dead, reclaim_every_s=3600)
    assert loop.run_once() == 2
    assert broker.pending(STREAM, GROUP) == 0


def test_drain_runs_until_nothing_is_left(broker: MemoryBroker) -> None:
    handler, dead = Recorder(fail={b"poison"}), DeadLetters()
    loop = make_loop(broker, handler, dead, batch_size=7, reclaim_every_s=3600)
    broker.publish(STREAM, [str(i).encode() for i in range(30)] + [b"poison"])
    assert loop.drain() == 31
    assert broker.backlog(STREAM, GROUP) == 0
    assert [m.payload for m, _ in dead.got] == [b"poison"]
    assert sum(handler.attempts.values()) == 30 + 3


def test_logs_never_contain_payloads(
    broker: MemoryBroker, caplog: pytest.LogCaptureFixture
) -> None:
    secret = b"alice@example.com"
    handler, dead = Recorder(fail={secret}), DeadLetters()
    loop = make_loop(broker, handler, dead, max_deliveries=1)
    broker.publish(STREAM, [secret])
    with caplog.at_level(logging.DEBUG):
        loop.drain()
    assert dead.got
    assert caplog.records
    assert "alice" not in caplog.text


class Ahead:
    """A prefetch hook that records what it was shown, and may fail."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.shown: list[list[bytes]] = []

    def __call__(self, batch: list[Message]) -> None:
        self.shown.append([m.payload for m in batch])
        if self.fail:
            raise RuntimeError("could not start the next batch")


def prefetching_loop(
    broker: MemoryBroker, handler: Recorder, ahead: Ahead, **kw: int | float
) -> ConsumerLoop:
    loop = make_loop(broker, handler, DeadLetters(), **kw)
    loop.prefetch = ahead
    return loop


def test_the_next_batch_is_shown_before_this_one_is_handled(broker: MemoryBroker) -> None:
    ahead = Ahead()
    seen_when_handling: list[int] = []
    handler = Recorder()
    real = handler.__call__

    def handle(batch: list[Message]) -> BatchOutcome:
        seen_when_handling.append(len(ahead.shown))
        return real(batch)

    loop = make_loop(broker, handle, DeadLetters(), batch_size=2, reclaim_every_s=3600)  # type: ignore[arg-type]
    loop.prefetch = ahead
    broker.publish(STREAM, [b"1", b"2", b"3", b"4", b"5"])
    assert loop.drain() == 5
    assert ahead.shown == [[b"3", b"4"], [b"5"]]
    assert seen_when_handling == [1, 2, 2]  # shown first, handled a round later
    assert [[m.payload for m in b] for b in handler.batches] == [
        [b"1", b"2"],
        [b"3", b"4"],
        [b"5"],
    ]
    assert broker.backlog(STREAM, GROUP) == 0


def test_a_failing_prefetch_loses_nothing(broker: MemoryBroker) -> None:
    handler, ahead = Recorder(), Ahead(fail=True)
    loop = prefetching_loop(broker, handler, ahead, batch_size=2, reclaim_every_s=3600)
    broker.publish(STREAM, [b"1", b"2", b"3", b"4"])
    assert loop.drain() == 4
    assert handler.attempts == {b"1": 1, b"2": 1, b"3": 1, b"4": 1}


def test_messages_read_ahead_stay_pending_until_handled(broker: MemoryBroker) -> None:
    """Read ahead is read, not done: a crash before they are handled loses nothing."""
    handler, ahead = Recorder(), Ahead()
    loop = prefetching_loop(broker, handler, ahead, batch_size=2, reclaim_every_s=3600)
    broker.publish(STREAM, [b"1", b"2", b"3", b"4"])
    assert loop.run_once() == 2
    assert broker.pending(STREAM, GROUP) == 2  # 3 and 4, read ahead
    assert broker.backlog(STREAM, GROUP) == 2
    # the process dies here; another consumer takes the read-ahead messages over
    other = make_loop(broker, Recorder(), DeadLetters(), reclaim_idle_ms=0)
    assert other.run_once() == 2
    assert broker.backlog(STREAM, GROUP) == 0


def test_a_reclaimed_message_read_ahead_is_handled_once(broker: MemoryBroker) -> None:
    handler, ahead = Recorder(fail={b"2"}), Ahead()
    loop = prefetching_loop(broker, handler, ahead, batch_size=2, reclaim_idle_ms=0)
    broker.publish(STREAM, [b"1", b"2", b"3", b"4"])
    loop.run_once()  # 1 done, 2 failed; 3 and 4 read ahead
    handler.fail.clear()
    loop.drain()
    assert handler.attempts == {b"1": 1, b"2": 2, b"3": 1, b"4": 1}
    assert broker.backlog(STREAM, GROUP) == 0


def test_drain_can_leave_a_batch_in_flight(broker: MemoryBroker) -> None:
    handler, ahead = Recorder(), Ahead()
    loop = prefetching_loop(broker, handler, ahead, batch_size=3, reclaim_every_s=3600)
    broker.publish(STREAM, [str(i).encode() for i in range(10)])
    assert loop.drain(leave=3) == 9
    assert broker.backlog(STREAM, GROUP) == 1  # "9", read ahead, not yet handled
    assert ahead.shown[-1] == [b"9"]
    broker.publish(STREAM, [b"10", b"11"])
    assert loop.drain() == 3
    assert sorted(handler.attempts) == sorted(str(i).encode() for i in range(12))
    assert set(handler.attempts.values()) == {1}
