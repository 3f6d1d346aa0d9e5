"""The engagement loop: rules from broker events, the reply sender, and the SLA clock.

Three threads, so a slow network delays only replies and a burst of posts delays only
rules; none runs inside the ingest pipeline. Several processes may run it against one
database: events are shared by the consumer group, replies are claimed with SKIP LOCKED,
and SLA warnings are stamped on the case, so nothing is done twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.registry import registry as process_registry
from groundswell.channels.runtime.bootstrap import ConfiguredConnectors
from groundswell.core.brokers import Broker
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.engagement import sla
from groundswell.settings import Settings
from groundswell.workers.engagement_stage import engagement_loop
from groundswell.workers.loops import consumer_name
from groundswell.workers.reply_sender import ReplySender

log = logging.getLogger(__name__)


class EngageLoop:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        broker: Broker,
        *,
        registry: ConnectorRegistry | None = None,
        send_every_s: float = 1.0,
        sla_every_s: float = 15.0,
        register_channels: bool = False,
        channels_every_s: float = 30.0,
    ) -> None:
        self.db = db
        self.settings = settings
        self.broker = broker
        self.registry = registry or process_registry
        self._configured = ConfiguredConnectors(db, settings, self.registry)
        if settings.standin_channels:
            from groundswell.demo.standin import register_standins

            register_standins(self.registry, settings.standin_channels.split(","))
        self.loop, self.stage = engagement_loop(
            settings, db, broker, consumer=consumer_name(7), registry=self.registry
        )
        self.sender = ReplySender(db, self.registry, email=bool(settings.smtp_host))
        self.send_every_s = send_every_s
        self.sla_every_s = sla_every_s
        self._stop = threading.Event()
        jobs: list[tuple[str, Callable[..., object], tuple[object, ...]]] = [
            ("gs-rules", self.loop.run, (self._stop,)),
            ("gs-replies", self._repeat, (self.sender.run_once, send_every_s, "reply sending")),
            ("gs-sla", self._repeat, (self.check_sla, sla_every_s, "SLA check")),
        ]
        if register_channels:
            # a process of its own (``groundswell engagement run``) runs no connector
            # runner: the sender needs the connected accounts' connectors all the same
            self.register_channels()
            jobs.append(
                (
                    "gs-channels",
                    self._repeat,
                    (self.register_channels, channels_every_s, "channel registration"),
                )
            )
        self._threads = [
            threading.Thread(target=target, args=args, name=name, daemon=True)
            for name, target, args in jobs
        ]

    def register_channels(self) -> list[str]:
        """Register the enabled channel accounts' connectors (see ``ConfiguredConnectors``)."""
        return self._configured.refresh()

    def check_sla(self) -> tuple[int, int]:
        with self.db.session(write=True) as session:
            return sla.check_due(session, now=utcnow())

    def _repeat(self, work: Callable[[], object], every_s: float, what: str) -> None:
        while not self._stop.is_set():
            try:
                work()
            except Exception:
                log.exception("%s failed; trying again", what)
                self._stop.wait(min(every_s * 5, 30.0))
                continue
            self._stop.wait(every_s)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.broker.wake_readers()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def run(self, stop: threading.Event) -> None:
        """Run in the foreground until ``stop`` is set (``groundswell engagement run``)."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()
