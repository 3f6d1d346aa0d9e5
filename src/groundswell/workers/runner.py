"""The at-least-once consumer loop every pipeline stage runs on.

A stage supplies a batch handler that commits its own transaction and says which
messages are done and which failed. The loop acknowledges ``done`` only after the
handler has returned, so a crash between commit and ack means a redelivery, never a
loss; stages are idempotent, so a redelivery is harmless. Failed messages stay pending
and come back through ``reclaim`` once idle; after ``max_deliveries`` attempts they go to
the dead-letter callback and are acknowledged, so one poison message cannot block a
stream for ever.

Payloads may hold personal data, so the loop logs ids and counts only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as ProcessEvent

from groundswell.core.brokers.base import Broker, Message

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
_ERRORS_KEPT = 10_000
_DRAIN_PAUSE_S = 0.05


@dataclass
class BatchOutcome:
    """What the handler made of a batch: ids committed, and ids that failed (with why)."""

    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


Handler = Callable[[list[Message]], BatchOutcome]
DeadLetter = Callable[[Message, str], None]
Prefetch = Callable[[list[Message]], None]
"""Told of the next batch before the current one is handled, so a stage can start
work on it that does not touch the database (the process stage's enrichment)."""


class ConsumerLoop:
    """Reads one stream for one consumer of a group and feeds batches to ``handler``."""

    def __init__(
        self,
        broker: Broker,
        *,
        stream: str,
        group: str,
        consumer: str,
        handler: Handler,
        dead_letter: DeadLetter,
        batch_size: int = 500,
        block_ms: int = 1000,
        reclaim_idle_ms: int = 30000,
        max_deliveries: int = 5,
        reclaim_every_s: float = 5.0,
        prefetch: Prefetch | None = None,
    ) -> None:
        if batch_size < 1 or max_deliveries < 1:
            raise ValueError("batch_size and max_deliveries must be at least 1")
        self.broker = broker
        self.stream, self.group, self.consumer = stream, group, consumer
        self.handler, self.dead_letter = handler, dead_letter
        self.batch_size, self.block_ms = batch_size, block_ms
        self.reclaim_idle_ms, self.max_deliveries = reclaim_idle_ms, max_deliveries
        self.reclaim_every_s = reclaim_every_s
        self.prefetch = prefetch
        self._ahead: list[Message] = []
        """Read, handed to ``prefetch``, not yet handled: the next round handles them first.
        They are pending in the broker like any read message, so a crash loses nothing."""
        self._group_ready = False
        self._next_reclaim = float("-inf")  # the first round takes over a dead consumer's work
        self._last_error: OrderedDict[str, str] = OrderedDict()

    def run_once(self) -> int:
        """Reclaim (when due), read one batch, handle it, ack what is settled.

        Returns how many messages were acknowledged: done plus dead-lettered. A handler
        exception propagates after its messages are left pending for redelivery.
        """
        if not self._group_ready:
            self.broker.ensure_group(self.stream, self.group)
            self._group_ready = True
        batch, settled = self._reclaim_due()
        if batch and self._ahead:  # a reclaimed message is handled once, as reclaimed
            again = {m.id for m in batch}
            self._ahead = [m for m in self._ahead if m.id not in again]
        room = self.batch_size - len(batch)
        batch += self._ahead[:room]
        self._ahead = self._ahead[room:]
        room = self.batch_size - len(batch)
        if room > 0:
            block = 0 if batch or settled else self.block_ms
            batch += self.broker.read(
                self.stream, self.group, self.consumer, count=room, block_ms=block
            )
        if not batch:
            return settled
        if self.prefetch is not None:
            self._read_ahead()
        return settled + self._handle(batch)

    def _read_ahead(self) -> None:
        """Read the next batch (without waiting) and show it to ``prefetch``.

        Best effort: a failure here only means the next batch starts cold.
        """
        assert self.prefetch is not None
        room = self.batch_size - len(self._ahead)
        if room <= 0:
            return
        try:
            ahead = self.broker.read(self.stream, self.group, self.consumer, count=room, block_ms=0)
            if ahead:
                self._ahead += ahead
                self.prefetch(ahead)
        except Exception:
            log.warning("%s/%s: reading ahead failed", self.stream, self.group, exc_info=True)

    def _reclaim_due(self) -> tuple[list[Message], int]:
        """Take over idle pending messages; dead-letter those out of attempts."""
        now = time.monotonic()
        if now < self._next_reclaim:
            return [], 0
        self._next_reclaim = now + self.reclaim_every_s
        reclaimed = self.broker.reclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_ms=self.reclaim_idle_ms,
            count=self.batch_size,
        )
        if not reclaimed:
            return [], 0
        retry = [m for m in reclaimed if m.deliveries <= self.max_deliveries]
        exhausted = [m for m in reclaimed if m.deliveries > self.max_deliveries]
        for message in exhausted:
            reason = self._last_error.pop(message.id, None) or "no error recorded"
            self.dead_letter(
                message, f"gave up after {message.deliveries - 1} deliveries: {reason}"
            )
            self.broker.ack(self.stream, self.group, [message.id])
        log.info(
            "%s/%s: reclaimed %d idle messages, dead-lettered %d",
            self.stream,
            self.group,
            len(reclaimed),
            len(exhausted),
        )
        return retry, len(exhausted)

    def _handle(self, batch: list[Message]) -> int:
        ids = {m.id for m in batch}
        try:
            outcome = self.handler(batch)
        except Exception as exc:
            self._remember_errors(dict.fromkeys(ids, f"handler raised {type(exc).__name__}"))
            raise
        done = [i for i in dict.fromkeys(outcome.done) if i in ids]
        failed = {i: e for i, e in outcome.failed.items() if i in ids and i not in done}
        silent = ids - set(done) - set(failed)
        if silent:
            log.warning(
                "%s/%s: handler gave no outcome for %d messages; leaving them pending",
                self.stream,
                self.group,
                len(silent),
            )
            failed.update(dict.fromkeys(silent, "handler gave no outcome"))
        if done:
            self.broker.ack(self.stream, self.group, done)
            for i in done:
                self._last_error.pop(i, None)
        if failed:
            self._remember_errors(failed)
            log.warning(
                "%s/%s: %d of %d messages failed, left pending (first id %s)",
                self.stream,
                self.group,
                len(failed),
                len(batch),
                next(iter(failed)),
            )
        return len(done)

    def _remember_errors(self, errors: dict[str, str]) -> None:
        """Keep the latest error per id (bounded) to explain a later dead letter."""
        for mid, error in errors.items():
            self._last_error[mid] = error
            self._last_error.move_to_end(mid)
        while len(self._last_error) > _ERRORS_KEPT:
            self._last_error.popitem(last=False)

    def run(self, stop: threading.Event | ProcessEvent) -> None:
        """Loop until ``stop`` is set, surviving handler and broker errors.

        After an error the messages of that batch stay pending (they return through
        reclaim) and the loop waits, doubling the wait up to ``MAX_BACKOFF_S`` while
        errors continue, so a database outage does not turn into a busy loop.
        """
        backoff = 0.0
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF_S)
                log.exception(
                    "%s/%s: batch failed; retrying in %.1fs", self.stream, self.group, backoff
                )
                stop.wait(backoff)
            else:
                backoff = 0.0

    def drain(self, *, leave: int = 0) -> int:
        """Run until the group's backlog is at most ``leave``; returns how many messages
        were acked.

        An importer that publishes a file in chunks drains with ``leave`` above zero
        between chunks, so the batch read ahead (``prefetch``) is still in flight when the
        next chunk arrives instead of every chunk starting cold; it drains with ``leave=0``
        at the end.

        Failed messages keep the backlog up until they are retried or dead-lettered, so
        when a round settles nothing the next one reclaims at once rather than on the
        usual schedule, after a short pause so waiting for idle messages is not a busy loop.
        """
        total = 0
        while True:
            settled = self.run_once()
            total += settled
            if self.broker.backlog(self.stream, self.group) <= leave:
                return total
            if settled == 0:
                self._next_reclaim = float("-inf")
                time.sleep(_DRAIN_PAUSE_S)
