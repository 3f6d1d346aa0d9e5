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
        history = threading.Thread(
            target=self._load_history, name="groundswell-demo-history", daemon=True
        )
        history.start()
        from groundswell.demo import team_at_work

        team_at_work.start(self.app, speed=self.speed, stop=self.stop)
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

    def _load_history(self) -> None:
        """Load the demo history through the running pipeline when the store is empty.

        ``make run`` starts serving at once (``demo-setup --no-history``) and the history
        fills in behind the live replay, chunk by chunk, so the page is up in seconds
        instead of after the whole history is enriched. The backlog is kept short so live
        posts are never stuck behind the whole history.
        """
        try:
            if load_history_in_background(self.app, speed=self.speed, stop=self.stop):
                customer_record_after_history(self.app, stop=self.stop)
        except Exception:
            log.exception("loading the demo history failed")


HISTORY_CHUNK = 500
MAX_BACKLOG = 1_000
SETTLED = 50
"""Posts still waiting when the history counts as stored (the live replay keeps adding)."""


def load_history_in_background(app: FastAPI, *, speed: float, stop: threading.Event) -> int:
    """Submit the demo history to the app's broker when there are no posts yet."""
    from groundswell.demo.setup import has_history
    from groundswell.ingestion.service import PROCESS_GROUP, posts_stream, submit_posts

    settings, broker = app.state.settings, app.state.broker
    posts = split_sample(speed).history
    if has_history(app.state.db, posts):
        return 0
    log.info("loading %d demo history posts behind the live replay", len(posts))
    sent = 0
    stream = posts_stream(settings)
    for start in range(0, len(posts), HISTORY_CHUNK):
        while broker.backlog(stream, PROCESS_GROUP) > MAX_BACKLOG:
            if stop.wait(0.2):
                return sent
        if stop.is_set():
            return sent
        chunk = posts[start : start + HISTORY_CHUNK]
        submit_posts(broker, settings, chunk)
        sent += len(chunk)
    log.info("demo history submitted: %d posts", sent)
    return sent


def customer_record_after_history(app: FastAPI, *, stop: threading.Event) -> None:
    """The customer-record demo (duplicates, purchases, shoppers, leads) once the history
    is stored: ``demo-setup --no-history`` found no authors to build it on."""
    from groundswell.demo.crm_setup import ensure_crm_demo, ensure_segments_and_leads
    from groundswell.demo.setup import load_history
    from groundswell.ingestion.service import PROCESS_GROUP, posts_stream

    settings, db = app.state.settings, app.state.db
    while app.state.broker.backlog(posts_stream(settings), PROCESS_GROUP) > SETTLED:
        if stop.wait(0.5):
            return
    made = ensure_crm_demo(settings, db, load=load_history)
    ensure_segments_and_leads(settings, db, load=load_history)
    log.info("customer record demo: %s", made)
