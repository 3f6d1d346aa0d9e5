"""SQLite end to end: ``groundswell import`` with the in-process broker, timed per stage.

The run calls ``workers.importer.import_file`` on a native JSON Lines file, which is what
``groundswell import FILE --format native`` does with ``memory://``: parse a chunk of
2,000 records, publish it with ``submit_posts``, ``drain`` the process loop, repeat. Stage
timers wrap the functions called once per chunk or batch, so one run yields both the
import rate (parsing included) and the pipeline-only rate (publish + drain), and the
share of each stage.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bench.common import bench_settings, count_interactions
from bench.timing import StageTimers
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm import remember
from groundswell.enrichment.pipeline import Enricher
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import submit_posts
from groundswell.workers import importer, process_stage
from groundswell.workers.loops import process_loop
from groundswell.workers.process_stage import ProcessStage
from groundswell.workers.runner import ConsumerLoop

REMEMBER_PARTS = [
    (("_existing_keys",), "remember: duplicate check (select)"),
    (("upsert_identities", "_upsert_identities"), "remember: identities upsert + select"),
    (("link_identities", "_link_identities"), "remember: contacts + keys + identity links"),
    (("resolve_conversations", "_resolve_conversations"), "remember: conversations"),
    (("_insert_interactions", "insert_interactions"), "remember: interactions insert"),
    (("add_to_rollups",), "remember: rollups upsert"),
]
"""Functions ``remember_batch`` calls through its module globals, by label; the first name
found is timed, so a rename in the stage costs a line of the breakdown, not the run."""


def _remember_targets() -> list[tuple[object, str, str]]:
    targets: list[tuple[object, str, str]] = []
    for names, label in REMEMBER_PARTS:
        found = next((n for n in names if hasattr(remember, n)), None)
        if found is not None:
            targets.append((remember, found, label))
    return targets


@dataclass
class EmbeddedRun:
    posts: int
    stored: int
    total_s: float
    pipeline_s: float
    stages: list[tuple[str, float]]
    batch_size: int


def run_embedded_import(url: str, jsonl: Path) -> EmbeddedRun:
    """Import ``jsonl`` into the fresh database at ``url``; returns rates and stage times."""
    settings = bench_settings(url)
    db = Database(settings)
    broker = MemoryBroker()
    timers = StageTimers()
    targets: list[tuple[object, str, str]] = [
        (importer, "submit_posts", "publish"),
        (ConsumerLoop, "drain", "drain"),
        (ProcessStage, "handle", "handle"),
        (ProcessStage, "_store", "store"),
        (Enricher, "enrich_many", "enrich"),
        (process_stage, "remember_batch", "remember"),
        (ProcessStage, "_publish_events", "events"),
        (Session, "commit", "commit"),
    ]
    parts_timed = _remember_targets()
    targets += parts_timed
    with timers.patched(targets):
        started = time.perf_counter()
        report = importer.import_file(settings, jsonl, "native", db=db, broker=broker)
        total = time.perf_counter() - started
    stored = count_interactions(db.engine)
    db.dispose()
    t = timers.get
    parts = sum(t(label) for _, _, label in parts_timed)
    stages = [
        ("read + validate file (import only)", total - t("publish") - t("drain")),
        ("publish: serialize + queue", t("publish")),
        ("loop: broker read/ack", t("drain") - t("handle")),
        ("decode + validate message", t("handle") - t("store")),
        ("enrich", t("enrich")),
        *[(label, t(label)) for _, _, label in parts_timed],
        ("remember: subject links, other", t("remember") - parts),
        ("commit", t("commit")),
        ("publish events", t("events")),
        (
            "session, other",
            t("store") - t("enrich") - t("remember") - t("commit") - t("events"),
        ),
    ]
    return EmbeddedRun(
        posts=report.read,
        stored=stored,
        total_s=total,
        pipeline_s=t("publish") + t("drain"),
        stages=stages,
        batch_size=settings.batch_size,
    )


def run_warm_pipeline(url: str, posts: list[InboundPost]) -> tuple[int, float]:
    """Store ``posts`` through a process stage whose enrichment process is already running.

    A worker runs for days, so its enrichment process has long been loaded; an import
    starts one and enriches by itself until it is ready (about two seconds, a third of
    a 20,000-post import). This is the import's loop without that start: publish 2,000
    posts, drain leaving a batch in flight, repeat, drain. Returns (stored, seconds).
    """
    settings = bench_settings(url)
    db = Database(settings)
    broker = MemoryBroker()
    loop, stage = process_loop(settings, db, broker, consumer="bench-warm")
    # A worker freezes what it holds at start-up out of the collector's walks
    # (core.runtime.tune_gc_for_throughput), once per process; here that happened in the
    # runs before, so the posts built since would be walked by every full collection.
    gc.collect()
    gc.freeze()
    try:
        if stage.enrich_process is not None:
            stage.enrich_process.start()
        started = time.perf_counter()
        for i in range(0, len(posts), importer.CHUNK):
            chunk = posts[i : i + importer.CHUNK]
            stage.published(submit_posts(broker, settings, chunk), chunk)
            loop.drain(leave=settings.batch_size)
        loop.drain()
        seconds = time.perf_counter() - started
    finally:
        stage.close()
    stored = count_interactions(db.engine)
    db.dispose()
    return stored, seconds
