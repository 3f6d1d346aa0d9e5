"""Enrichment in a child process stores exactly what enrichment in the worker stores.

The stage enriches a batch chunk by chunk in a child process and stores each chunk as it
comes back, in one transaction (``workers/enrich_process.py``). Checked here: the rows
are the same as with one process (replies and duplicates across chunks included), and a
child that dies mid-batch costs nothing: the batch is stored whole, once.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from groundswell.core.brokers import Message
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Conversation, Interaction
from groundswell.enrichment.base import Enrichment
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import submit_posts
from groundswell.listening.models import Subject
from groundswell.workers.enrich_ahead import AHEAD_CHUNK, EnrichAhead
from groundswell.workers.enrich_process import EnrichmentProcess
from groundswell.workers.loops import process_loop
from groundswell.workers.process_stage import chunk_sizes
from gs_testing import make_settings, migrated_sqlite_url

TEXTS = [
    "My flight was cancelled again, worst airline ever &amp; nobody answers",
    "Thanks @united, the crew was wonderful today!",
    "¿Dónde está mi maleta? Llevo tres horas esperando",
    "Is there wifi on the 7am flight to Denver?",
    "Delta lost my bag. Third time this year. I'm switching to United.",
    "ok",
]


def posts(n: int = 320) -> list[InboundPost]:
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    out = []
    for i in range(n):
        out.append(
            InboundPost.model_validate(
                {
                    "channel": "twitter",
                    "external_id": f"t{i}",
                    "text": f"{TEXTS[i % len(TEXTS)]} #{i}",
                    "created_at": start + timedelta(seconds=i),
                    "author": {
                        "external_id": f"u{i % 37}",
                        "handle": f"user{i % 37}",
                        "followers": i,
                    },
                    # replies reach back across chunk boundaries (chunks of 80 here)
                    "reply_to_external_id": f"t{i - 150}" if i >= 150 and i % 5 == 0 else None,
                }
            )
        )
    out.append(out[10].model_copy())  # the same post again, in the last chunk
    return out


def store(
    url: str,
    batch: list[InboundPost],
    *,
    child: bool,
    kill_child: bool = False,
    batch_size: int = 500,
    taken: list[int] | None = None,
) -> Database:
    settings = make_settings(url, enrichment_process=child, batch_size=batch_size)
    db = Database(settings)
    with db.session() as s:
        s.add(Subject(name="United", query="united"))
        s.add(Subject(name="Delta", query="delta"))
    broker = MemoryBroker()
    loop, stage = process_loop(settings, db, broker, consumer="t")
    submitted: list[int] = []
    if child:  # wait for the child: until it is ready the stage enriches by itself
        assert stage.enrich_process is not None
        stage.enrich_process.start()
        real_submit = stage.enrich_process.submit
        stage.enrich_process.submit = lambda facts: (  # type: ignore[method-assign]
            submitted.append(len(facts)) or real_submit(facts)
        )
        if taken is not None:  # how many enrichments each batch found started ahead
            assert stage.ahead is not None
            real_take = stage.ahead.take
            stage.ahead.take = lambda ids: (  # type: ignore[method-assign]
                found := real_take(ids),
                taken.append(len(found)),
            )[0]
    try:
        if kill_child:
            assert stage.enrich_process is not None
            pool = stage.enrich_process._executor()
            for pid in list(pool._processes or {}):  # the child dies before the batch
                os.kill(pid, signal.SIGKILL)
        submit_posts(broker, settings, batch)
        loop.drain()
        assert stage.stored_total == len(batch) - 1
        if child:
            assert sum(submitted) == len(batch)  # every post went through the child
    finally:
        stage.close()
    return db


def rows(db: Database) -> list[tuple[Any, ...]]:
    with db.session() as s:
        root = {c.id: c.root_external_id for c in s.scalars(sa.select(Conversation)).all()}
        found = s.scalars(sa.select(Interaction).order_by(Interaction.external_id)).all()
        return [
            (
                i.external_id,
                i.text,
                i.language,
                i.sentiment_label,
                round(i.sentiment_score or 0.0, 6),
                tuple(i.subject_ids),
                i.entities,
                i.influence,
                i.enrichment_versions,
                i.reply_to_external_id,
                root.get(i.conversation_id or 0),
            )
            for i in found
        ]


def test_the_child_process_stores_what_one_process_stores(tmp_path: Path) -> None:
    batch = posts()
    alone = store(migrated_sqlite_url(tmp_path / "alone.db"), batch, child=False)
    beside = store(migrated_sqlite_url(tmp_path / "beside.db"), batch, child=True)
    expected = rows(alone)
    assert len(expected) == 320
    assert rows(beside) == expected
    assert {r[3] for r in expected} >= {"positive", "negative"}
    assert any(r[5] for r in expected)  # subjects matched in the child too
    alone.dispose()
    beside.dispose()


def test_batches_enriched_ahead_store_what_one_process_stores(tmp_path: Path) -> None:
    """Batches of 100: each batch after the first was enriched while the one before it
    was stored (the loop reads ahead), and the rows are the same."""
    batch = posts()
    alone = store(migrated_sqlite_url(tmp_path / "alone.db"), batch, child=False, batch_size=100)
    taken: list[int] = []
    ahead = store(
        migrated_sqlite_url(tmp_path / "ahead.db"),
        batch,
        child=True,
        batch_size=100,
        taken=taken,
    )
    assert [n for n in taken if n] == [100, 100, 21]  # batches 2-4 came enriched ahead
    assert rows(ahead) == rows(alone)
    alone.dispose()
    ahead.dispose()


class CountingEnricher(Enricher):
    def __init__(self) -> None:
        super().__init__(sentiment_mode="lexicon")
        self.enriched = 0

    def enrich_many(self, facts: list[PostFacts]) -> list[Enrichment]:  # type: ignore[override]
        self.enriched += len(facts)
        return super().enrich_many(facts)


def message(i: int) -> Message:
    return Message(id=f"m{i}", payload=f"payload {i}".encode())


def test_chunks_the_child_has_not_started_are_enriched_here() -> None:
    """The writer does not wait for work the child has not begun: it takes it back."""
    process = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
    process.start()
    here = CountingEnricher()
    texts = [TEXTS[i % len(TEXTS)] + f" {i}" for i in range(20 * AHEAD_CHUNK)]
    facts = [PostFacts(text=t) for t in texts]
    ahead = EnrichAhead(process, here)
    items = [(message(i), posts(11)[0], f) for i, f in enumerate(facts)]
    try:
        ahead.start(items)
        first = ahead._chunks[0].future
        while not (first.running() or first.done()):  # the child has the first chunk
            time.sleep(0.001)
        assert ahead.post(message(3)) is not None
        assert ahead.post(Message(id="m3", payload=b"other bytes")) is None
        found = ahead.take({f"m{i}" for i in range(len(facts))})
    finally:
        process.close()
    assert here.enriched > 0  # queued chunks were cancelled and done here
    assert here.enriched < len(facts)  # the child did its share
    expected = Enricher(sentiment_mode="lexicon").enrich_many(facts)
    assert [found[f"m{i}"] for i in range(len(facts))] == expected
    assert len(ahead) == 0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_child_that_dies_with_chunks_ahead_costs_nothing() -> None:
    process = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
    process.start()
    here = CountingEnricher()
    facts = [PostFacts(text=f"{TEXTS[i % len(TEXTS)]} {i}") for i in range(3 * AHEAD_CHUNK)]
    ahead = EnrichAhead(process, here)
    try:
        process._executor().submit(os._exit, 1)  # dies before reaching the chunks
        ahead.start([(message(i), posts(11)[0], f) for i, f in enumerate(facts)])
        found = ahead.take({f"m{i}" for i in range(len(facts))})
    finally:
        process.close()
    expected = Enricher(sentiment_mode="lexicon").enrich_many(facts)
    assert [found[f"m{i}"] for i in range(len(facts))] == expected


def test_what_was_started_ahead_two_rounds_ago_is_dropped() -> None:
    process = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
    process.start()
    ahead = EnrichAhead(process, Enricher(sentiment_mode="lexicon"))
    one = posts(11)[0]
    try:
        for r in range(3):
            ahead.start([(message(r), one, PostFacts(text=f"round {r}"))])
        assert ahead.post(message(0)) is None  # never taken: dropped
        assert ahead.post(message(1)) is not None
        assert set(ahead.take({"m0", "m1", "m2"})) == {"m1", "m2"}
    finally:
        process.close()


@pytest.mark.parametrize(
    "store_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_child_that_dies_loses_and_duplicates_nothing(
    store_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if store_kind == "sqlite":
        url = migrated_sqlite_url(tmp_path / "gs.db")
    else:
        from gs_testing import truncate_all

        url = str(request.getfixturevalue("pg_database_url"))
        truncate_all(Database(make_settings(url)))
    batch = posts()
    db = store(url, batch, child=True, kill_child=True)
    with db.session() as s:
        ids = s.scalars(sa.select(Interaction.external_id)).all()
    assert len(ids) == len(set(ids)) == 320
    assert "the enrichment process died" in caplog.text
    db.dispose()


def test_a_chunk_whose_child_dies_while_enriching_is_enriched_here() -> None:
    process = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
    process.start()
    process._executor().submit(os._exit, 1)  # the child dies before reaching the chunk
    facts = [PostFacts(text="I love this airline"), PostFacts(text="worst delay ever")]
    future = process.submit(facts)
    here = Enricher(sentiment_mode="lexicon")
    assert process.collect(future, facts, here) == here.enrich_many(facts)
    again = process.submit(facts)  # and the next chunk gets a new child
    assert process.collect(again, facts, here) == here.enrich_many(facts)
    process.close()


def test_until_the_child_is_ready_the_stage_enriches_by_itself(tmp_path: Path) -> None:
    """A worker does not stall its first batches while the child loads its tables."""
    url = migrated_sqlite_url(tmp_path / "cold.db")
    settings = make_settings(url, enrichment_process=True)
    db = Database(settings)
    with db.session() as s:
        s.add(Subject(name="United", query="united"))
        s.add(Subject(name="Delta", query="delta"))
    broker = MemoryBroker()
    loop, stage = process_loop(settings, db, broker, consumer="t")
    try:
        assert stage.enrich_process is not None
        process = stage.enrich_process
        process._warming = Future()  # still loading, however long this test takes
        submitted: list[int] = []
        process.submit = lambda facts: submitted.append(len(facts))  # type: ignore[assignment,method-assign,func-returns-value]
        batch = posts()
        submit_posts(broker, settings, batch)
        loop.drain()
        assert stage.stored_total == len(batch) - 1
        assert submitted == []
    finally:
        stage.close()
    expected = rows(store(migrated_sqlite_url(tmp_path / "alone.db"), posts(), child=False))
    assert rows(db) == expected
    db.dispose()


def test_a_batch_is_cut_into_a_small_first_chunk_then_even_ones() -> None:
    assert chunk_sizes(20) == [20]
    assert chunk_sizes(500) == [32, 117, 117, 117, 117]
    assert chunk_sizes(100) == [32, 50, 18]
    for n in range(1, 1200, 7):
        sizes = chunk_sizes(n)
        assert sum(sizes) == n and all(s > 0 for s in sizes)


FORK_CHECK = """
import json, sys, threading
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.workers.enrich_process import EnrichmentProcess, start_context

texts = json.loads(sys.argv[1])
alone = threading.active_count()
child = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
child.start()
method = child._executor()._mp_context.get_start_method()
facts = [PostFacts(text=t) for t in texts]
there = child.submit(facts).result()  # from the child itself, no fallback here
child_pid = next(iter(child._executor()._processes))
here = Enricher(sentiment_mode="lexicon", model_store=None).enrich_many(facts)
child.close()
blocker = threading.Event()
other = threading.Thread(target=blocker.wait)
other.start()
with_thread = start_context().get_start_method()
blocker.set()
other.join()
print(json.dumps({
    "threads": alone, "method": method, "same": there == here, "n": len(there),
    "child_pid": child_pid, "with_thread": with_thread,
}))
"""


def test_a_process_without_threads_forks_its_child_and_gets_the_same_results() -> None:
    """A CLI import or a worker process runs one thread: its child is forked (no second
    interpreter to start) and enriches exactly as this process would. With another
    thread running, the child is spawned."""
    import json
    import subprocess
    import sys

    texts = [*TEXTS, "😡😡😡", "Bonjour, mon vol est annulé", "x" * 3000]
    done = subprocess.run(
        [sys.executable, "-c", FORK_CHECK, json.dumps(texts)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["threads"] == 1
    assert report["method"] == "fork"
    assert report["child_pid"] != os.getpid()
    assert report["n"] == len(texts)
    assert report["same"] is True
    assert report["with_thread"] == "spawn"


ORPHAN_CHECK = """
import multiprocessing, sys, time
from unittest import mock
from groundswell.workers import enrich_process
from groundswell.workers.enrich_process import EnrichmentProcess

if __name__ == "__main__":
    method = sys.argv[1]
    with mock.patch.object(
        enrich_process, "start_context", lambda: multiprocessing.get_context(method)
    ):
        child = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
        child.start()
    print(next(iter(child._executor()._processes)), flush=True)
    time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (an exited one waiting to be reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_the_child_leaves_when_its_parent_is_killed_outright(tmp_path: Path, method: str) -> None:
    """A parent killed with SIGKILL never stops its pool; the child must not wait for
    work forever (every restart of such a worker would leave one more behind)."""
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_CHECK)
    parent = subprocess.Popen(
        [sys.executable, str(script), method], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _running(child)
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 60
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(child)
    finally:
        parent.kill()


# Python 3.11's pool thread raises InvalidStateError on a cancelled future when its child
# dies (what EnrichmentProcess._result works around); these tests check what the stage does.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_chunk_queued_behind_a_taken_back_one_comes_back_when_the_child_dies() -> None:
    """Python 3.11's pool stops failing its queued futures at the first cancelled one
    when its child dies, so a chunk queued behind a chunk the writer took back would
    never finish: it must come back, enriched here, and the writer must not hang."""
    import threading

    process = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
    process.start()
    here = CountingEnricher()
    facts = [PostFacts(text=TEXTS[0]), PostFacts(text=TEXTS[1])]
    pool = process._executor()
    busy = pool.submit(time.sleep, 30)
    while not busy.running():
        time.sleep(0.001)
    # the pool's queue to the child holds two calls: these fill it behind ``busy``
    handed = [process.submit(facts) for _ in range(2)]
    taken_back = process.submit(facts)  # still queued in this process: cancellable
    behind = process.submit(facts)
    time.sleep(0.5)  # let the pool's thread move what it can to the child's queue
    assert taken_back.cancel()
    for pid in list(pool._processes or {}):
        os.kill(pid, signal.SIGKILL)
    got: list[list[Enrichment]] = []
    waiter = threading.Thread(
        target=lambda: got.append(process.collect(behind, facts, here)), daemon=True
    )
    waiter.start()
    waiter.join(timeout=120)
    try:
        assert not waiter.is_alive(), "the writer would wait forever"
        assert got == [Enricher(sentiment_mode="lexicon").enrich_many(facts)]
        assert here.enriched == len(facts)  # enriched here, the child being gone
        assert all(f.done() for f in handed)
    finally:
        process.close()
