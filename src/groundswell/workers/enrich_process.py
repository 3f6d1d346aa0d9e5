"""Enrichment in its own process, beside the process that writes to the database.

A post's enrichment (sentiment, language, entities, subjects; the model in model mode)
is pure CPU work in Python, and so is most of storing it. In one process the two take
turns on one core; the interpreter lock keeps a thread from helping. Here a child process
holds its own ``Enricher`` and enriches the chunks of a batch in order while the parent
stores the chunks already enriched, so on two cores both run at once.

The child is forked when this process runs no other thread (an import, a worker
process), and spawned otherwise (the web app's embedded worker): a forked child could
inherit a lock another thread held. Nothing is lost if it dies: the chunk it was working
on is enriched in the parent instead and a new child is started for the next batch, so
a batch is stored exactly as it would have been.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext

from groundswell.core.runtime import tune_gc_for_throughput
from groundswell.enrichment.base import Enrichment
from groundswell.enrichment.pipeline import Enricher, PostFacts

log = logging.getLogger(__name__)

RESULT_PROBE_S = 1.0
"""How long a wait for a chunk lasts before the pool is asked whether it is broken; a
chunk of 64 posts takes about ten milliseconds."""

_enricher: Enricher | None = None
_subjects_key: int = -1


def _start(sentiment_mode: str, model_store: str | None) -> None:
    """Load everything before the first chunk, then tune the collector as workers do.

    Without the tuning the child's collector walks the loaded language tables again and
    again while VADER allocates: enrichment then costs nearly twice its CPU.
    """
    global _enricher
    _exit_with_parent()
    _enricher = Enricher(sentiment_mode=sentiment_mode, model_store=model_store)
    _enricher.enrich_many([PostFacts(text="warming up the language tables, merci")])
    tune_gc_for_throughput()


def _exit_with_parent() -> None:
    """Leave as soon as the parent is gone.

    A parent stopped outright (SIGKILL, the kernel's out-of-memory killer) never tells
    its pool to stop, and the child, waiting for its next chunk, would wait forever: every
    restart of such a worker would leave one more idle process holding its tables. The
    parent's end of a pipe closes when it dies, whatever killed it.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _enrich(
    subjects_key: int, subjects: Sequence[tuple[int, str]], facts: Sequence[PostFacts]
) -> list[Enrichment]:
    """Runs in the child: the subjects are sent along and applied when they changed."""
    global _subjects_key
    assert _enricher is not None
    if subjects_key != _subjects_key:
        _enricher.set_subjects(subjects)
        _subjects_key = subjects_key
    return _enricher.enrich_many(list(facts))


def _warm() -> bool:
    return _enricher is not None


def start_context() -> BaseContext:
    """``fork`` when this process runs a single thread, else ``spawn``.

    A spawned child is a new interpreter: it imports the parent's main module again
    (the whole command line for ``groundswell import``) and the enrichment code, then
    loads its tables, about a second in which the parent enriches by itself; an import
    of 20,000 posts lost a tenth of its rate to it. A forked child starts in
    milliseconds with the modules already loaded. Forking is safe only when no other
    thread could hold a lock (logging's, a pool's) that the child would inherit held,
    so a process with threads spawns. The child never touches the database
    connections it inherits, and leaves with ``os._exit`` like every multiprocessing
    child, so nothing of the parent's is closed or flushed twice.
    """
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class EnrichmentProcess:
    """One child process that enriches chunks in the order they are submitted."""

    def __init__(self, *, sentiment_mode: str, model_store: str | None) -> None:
        self._args = (sentiment_mode, model_store)
        self._pool: ProcessPoolExecutor | None = None
        self._subjects: tuple[tuple[int, str], ...] = ()
        self._subjects_key = 0
        self._warming: Future[bool] | None = None
        self._said_failed = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=start_context(),
                initializer=_start,
                initargs=self._args,
            )
        return self._pool

    def start(self) -> None:
        """Start the child and wait until its enricher is loaded."""
        self.warm_up().result()

    def warm_up(self) -> Future[bool]:
        """Start the child now, without waiting: it loads its tables (about 1.5 s) while
        this process goes on (``ready`` tells when it can take work)."""
        self._warming = self._executor().submit(_warm)
        return self._warming

    def ready(self) -> bool:
        """Whether the child has loaded and can take a chunk without a start-up stall.

        Until then the caller enriches in its own process: at start-up the first batches
        waited over two seconds for the child to load, a third of a 20,000-post import.
        """
        if self._warming is None:
            self.warm_up()
            return False
        if not self._warming.done():
            return False
        failed = self._warming.exception()
        if failed is not None and not self._said_failed:
            log.error("the enrichment process could not start; enriching here: %s", failed)
            self._said_failed = True
        return failed is None

    def set_subjects(self, subjects: Sequence[tuple[int, str]]) -> None:
        subjects = tuple(subjects)
        if subjects != self._subjects:
            self._subjects = subjects
            self._subjects_key += 1

    def submit(self, facts: Sequence[PostFacts]) -> Future[list[Enrichment]]:
        """Queue a chunk; a child found dead since the last batch is replaced first."""
        args = (self._subjects_key, self._subjects, list(facts))
        try:
            return self._executor().submit(_enrich, *args)
        except BrokenProcessPool:
            log.warning("the enrichment process died; starting a new one")
            self._discard()
            return self._executor().submit(_enrich, *args)

    def collect(
        self, future: Future[list[Enrichment]], facts: Sequence[PostFacts], fallback: Enricher
    ) -> list[Enrichment]:
        """The chunk's enrichments; if the child died, enriched here (same results)."""
        try:
            return self._result(future)
        except BrokenProcessPool:
            log.warning("the enrichment process died; enriching %d posts here", len(facts))
            self._discard()
            return fallback.enrich_many(list(facts))

    def _result(self, future: Future[list[Enrichment]]) -> list[Enrichment]:
        """The future's result, or ``BrokenProcessPool`` once the pool is broken.

        When the child dies, Python 3.11's pool fails its queued futures one by one and
        stops at the first that was cancelled (taken back by the writer): setting an
        exception on it raises in the pool's own thread. A chunk queued behind it would
        never finish, and the writer would wait for it forever. So the wait asks the pool
        once a second whether it still takes work; a broken pool refuses it.
        """
        while True:
            try:
                return future.result(timeout=RESULT_PROBE_S)
            except TimeoutError:
                pool = self._pool
                if pool is None:
                    raise BrokenProcessPool("the enrichment process was stopped") from None
                try:
                    pool.submit(_warm)
                except RuntimeError as stopped:  # BrokenProcessPool, or shut down
                    raise BrokenProcessPool(str(stopped)) from None

    def _discard(self) -> None:
        self._warming = None
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._warming = None
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
