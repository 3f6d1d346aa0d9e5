"""Replay the demo's live half into a running app, looping with fresh ids."""

from __future__ import annotations

import logging
import threading

from fastapi import FastAPI

from groundswell.demo.setup import split_sample
from groundswell.workers.replayer import stream_posts

log = logging.getLogger(__name__)


class DemoReplay:
    def __init__(self, app: FastAPI, *, speed: float) -> None:
        self.app = app
        self.speed = speed
        self.stop = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._run, name="groundswell-demo", daemon=True)
        from groundswell.channels.registry import registry
        from groundswell.demo.standin import register_standins

        register_standins(registry, ["twitter"])  # demo replies stay on this machine

    def _run(self) -> None:
        live = split_sample().live
        while not self.stop.is_set():
            self.sent += stream_posts(
                self.app.state.broker,
                self.app.state.settings,
                live,
                speed=self.speed,
                fresh_ids=True,
                stop=self.stop,
            )
        log.info("demo replay stopped after %d posts", self.sent)
