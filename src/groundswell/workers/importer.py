"""``groundswell import``: parse a file, submit valid posts, keep the rejected ones.

With the in-process broker the pipeline runs right here, chunk by chunk, and the
command returns once every post is stored. With Redis the posts go to the stream and,
with ``wait``, the command watches the consumer group until workers have caught up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from groundswell.core.brokers import Broker, open_broker
from groundswell.core.db import Database
from groundswell.ingestion.formats import Accepted, ParsedRecord, Rejected, parse_file
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import (
    PROCESS_GROUP,
    posts_stream,
    record_rejections,
    submit_posts,
    validation_context,
)
from groundswell.settings import Settings
from groundswell.workers.backlog_watch import BacklogWatch
from groundswell.workers.loops import consumer_name, process_loop

CHUNK = 2000


@dataclass
class ImportReport:
    read: int = 0
    submitted: int = 0
    rejected: int = 0
    stored: int | None = None
    """Known only when this process ran the pipeline (in-process broker)."""
    seconds: float = 0.0

    @property
    def duplicates(self) -> int | None:
        return None if self.stored is None else self.submitted - self.stored

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


def _chunks(records: Iterator[ParsedRecord], size: int) -> Iterator[list[ParsedRecord]]:
    chunk: list[ParsedRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_file(
    settings: Settings,
    path: Path,
    fmt: str,
    *,
    wait: bool = True,
    limit: int | None = None,
    progress: bool = False,
    db: Database | None = None,
    broker: Broker | None = None,
    say: Callable[[str], None] | None = None,
) -> ImportReport:
    started = time.monotonic()
    records = parse_file(path, fmt, context=validation_context(settings))  # raises if unreadable
    own_db = db is None
    db = db or Database(settings)
    broker = broker or open_broker(settings.broker_url)
    source = f"import:{path.name}"
    report = ImportReport()
    loop = stage = None
    if settings.embedded_broker:
        loop, stage = process_loop(settings, db, broker, consumer=consumer_name())
    bar = tqdm(total=None, unit="post", disable=not progress, desc=path.name)
    with bar if progress else nullcontext():
        for chunk in _chunks(_limited(records, limit), CHUNK):
            posts: list[InboundPost] = [r.post for r in chunk if isinstance(r, Accepted)]
            bad = [r for r in chunk if isinstance(r, Rejected)]
            report.read += len(chunk)
            report.submitted += len(posts)
            report.rejected += len(bad)
            if bad:
                with db.session() as session:
                    record_rejections(
                        session,
                        source=source,
                        rejections=[(r.ref, r.field, r.reason, r.payload) for r in bad],
                    )
            ids = submit_posts(broker, settings, posts)
            if loop is not None and stage is not None:
                stage.published(ids, posts)
                loop.drain(leave=settings.batch_size)
            bar.update(len(chunk))
    if loop is not None:
        loop.drain()
    if stage is not None:
        report.stored = stage.stored_total
        stage.close()
    elif wait:
        _wait_for_workers(broker, settings, say=say)
    if own_db:
        db.dispose()
    report.seconds = time.monotonic() - started
    return report


def _limited(records: Iterator[ParsedRecord], limit: int | None) -> Iterator[ParsedRecord]:
    for n, record in enumerate(records):
        if limit is not None and n >= limit:
            return
        yield record


def _wait_for_workers(
    broker: Broker, settings: Settings, *, say: Callable[[str], None] | None = None
) -> None:
    watch = BacklogWatch(broker, posts_stream(settings), PROCESS_GROUP, say or _quiet)
    watch.wait()


def _quiet(_: str) -> None:
    """Library callers who pass no ``say`` get no output."""
