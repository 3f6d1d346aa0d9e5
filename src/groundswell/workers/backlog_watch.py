"""Waiting for workers to drain a backlog, out loud.

``groundswell import`` with Redis publishes and then waits until the workers have stored
everything. A wait with no word looks like a hang (and is one when no worker runs), so
the wait says what it waits for, reports the backlog falling, warns when no consumer
of the group has read recently, and first removes consumers that died with nothing
pending (each restart of a worker leaves one behind).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from groundswell.core.brokers import Broker
from groundswell.core.brokers.redis_streams import RedisStreamsBroker

Say = Callable[[str], None]

ALIVE_WITHIN_MS = 30_000
"""A worker's blocking read returns at least every few seconds; 30 s silent is dead."""
PRUNE_AFTER_MS = 10 * 60_000
"""Consumers idle this long with nothing pending are removed from the group."""


@dataclass
class BacklogWatch:
    broker: Broker
    stream: str
    group: str
    say: Say
    poll_s: float = 0.5
    report_every_s: float = 5.0
    alive_within_ms: int = ALIVE_WITHIN_MS
    prune_after_ms: int = PRUNE_AFTER_MS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    warned: bool = field(default=False, init=False)

    def live_consumers(self) -> int | None:
        """How many consumers read recently; None when the broker cannot tell."""
        if not isinstance(self.broker, RedisStreamsBroker):
            return None
        consumers = self.broker.consumers(self.stream, self.group)
        return sum(1 for c in consumers if c.idle_ms <= self.alive_within_ms)

    def prune(self) -> list[str]:
        if not isinstance(self.broker, RedisStreamsBroker):
            return []
        removed = self.broker.prune_consumers(self.stream, self.group, idle_ms=self.prune_after_ms)
        if removed:
            self.say(f"removed {len(removed)} dead consumer(s) with nothing pending")
        return removed

    def wait(self) -> None:
        backlog = self.broker.backlog(self.stream, self.group)
        if backlog <= 0:
            return
        self.prune()
        self.say(
            f"waiting for workers to store {backlog} queued posts (stream {self.stream}, "
            f"group {self.group}); Ctrl-C stops waiting, the posts stay queued"
        )
        start = last_report = self.clock()
        first = backlog
        self._check_consumers()
        while backlog > 0:
            self.sleep(self.poll_s)
            backlog = self.broker.backlog(self.stream, self.group)
            now = self.clock()
            if now - last_report >= self.report_every_s and backlog > 0:
                last_report = now
                done = first - backlog
                rate = done / (now - start) if now > start else 0.0
                self.say(f"{backlog} posts left ({done} stored so far, {rate:.0f}/s)")
                self._check_consumers()
        self.say("the workers have stored everything")

    def _check_consumers(self) -> None:
        live = self.live_consumers()
        if live == 0 and not self.warned:
            self.warned = True
            self.say(
                "warning: no worker is reading this queue; start one with "
                "`groundswell worker` (or stop waiting: the posts stay queued)"
            )
        elif live:
            self.warned = False
