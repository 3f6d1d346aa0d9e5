"""``make bench``: the X stream connector against its stand-in, next to the pipeline.

The stand-in holds N pre-rendered filtered-stream events (real tweet texts from the demo
sample); the connector reads them over real HTTP on loopback. Measured in one run:

- connector only: HTTP read + JSON decode + mapping to post dicts;
- validation: ``InboundPost`` validation of those dicts (the runner's edge);
- pipeline only: publishing the validated posts and storing them (enrich, remember,
  commit) on a fresh SQLite file, lexicon sentiment;
- end to end: connector → validation → pipeline, batch by batch, as the runner does.

The connector's cost per event is printed next to the pipeline's, so it is plain which
one bounds the stream (the target: ≥ 2,000 events/s end to end, connector not the
bottleneck). Run ``python -m bench.stream_connector -h``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import machine
from bench.common import bench_settings, fresh_sqlite, sentiment_mode
from groundswell.channels.x import XConfig, XConnector
from groundswell.channels.x.standin import StandInServer, StandInState
from groundswell.core.brokers import open_broker
from groundswell.core.db import Database
from groundswell.demo.setup import SAMPLE, load_sorted
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import submit_posts, validation_context
from groundswell.workers.loops import process_loop

TARGET = 2_000


def _reader(server: StandInServer) -> XConnector:
    return XConnector(
        XConfig(
            user_id=server.state.account_id,
            access_token=server.state.token,
            base_url=server.base_url,
            stream_backfill_minutes=5,
        )
    )


def read_all(server: StandInServer, n: int) -> tuple[list[dict[str, object]], float]:
    connector = _reader(server)
    stream = connector.stream()
    stream.batch, stream.window = 1000, 2.0
    posts: list[dict[str, object]] = []
    started = time.perf_counter()
    cursor: str | None = "0"  # a cursor asks for backfill: the stand-in replays its log
    while len(posts) < n:
        fetched = stream.fetch(cursor)
        posts.extend(fetched.posts)
        cursor = fetched.cursor
    seconds = time.perf_counter() - started
    stream.close()
    connector.close()
    return posts, seconds


def end_to_end(
    server: StandInServer, n: int, ctx: dict[str, object], path: Path, *, child: bool
) -> tuple[float, int]:
    """Connector → validation → pipeline, batch by batch, as the runner does."""
    settings = bench_settings(fresh_sqlite(path)).model_copy(update={"enrichment_process": child})
    db = Database(settings)
    broker = open_broker(settings.broker_url)
    loop, stage = process_loop(settings, db, broker, consumer="bench")
    if stage.enrich_process is not None:
        stage.enrich_process.start()  # a served worker has started it long before
    connector = _reader(server)
    stream = connector.stream()
    stream.batch, stream.window = 1000, 2.0
    got = 0
    cursor: str | None = "0"
    started = time.perf_counter()
    while got < n:
        fetched = stream.fetch(cursor)
        cursor = fetched.cursor
        batch = [InboundPost.model_validate(p, context=ctx) for p in fetched.posts]
        submit_posts(broker, settings, batch)
        loop.drain()
        got += len(batch)
    seconds = time.perf_counter() - started
    stored = stage.stored_total
    stream.close()
    connector.close()
    stage.close()
    broker.close()
    db.dispose()
    return seconds, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    n = args.events
    texts = [p.text for p in load_sorted(SAMPLE, "native")][:3000]
    server = StandInServer(StandInState(keepalive=0.2)).start()
    server.state.push_stream_bulk(n, texts=texts)
    tmp = Path(tempfile.mkdtemp(prefix="gs-bench-stream-"))
    try:
        raw, t_conn = read_all(server, n)
        settings = bench_settings(fresh_sqlite(tmp / "pipe.db"))
        ctx = validation_context(settings)
        started = time.perf_counter()
        posts = [InboundPost.model_validate(p, context=ctx) for p in raw]
        t_valid = time.perf_counter() - started

        db = Database(settings)
        broker = open_broker(settings.broker_url)
        loop, stage = process_loop(settings, db, broker, consumer="bench")
        started = time.perf_counter()
        for i in range(0, len(posts), 1000):
            submit_posts(broker, settings, posts[i : i + 1000])
            loop.drain()
        t_pipe = time.perf_counter() - started
        stored_pipe = stage.stored_total
        stage.close()
        broker.close()
        db.dispose()

        t_e2e, stored_e2e = end_to_end(server, n, ctx, tmp / "e2e.db", child=True)
        t_one, stored_one = end_to_end(server, n, ctx, tmp / "e2e-one.db", child=False)
    finally:
        server.stop()

    def row(name: str, seconds: float, note: str = "") -> str:
        rate = n / seconds
        return (
            f"| {name} | {n:,} | {seconds:.2f} | {rate:,.0f} | {1e6 * seconds / n:.0f} "
            f"| {seconds / t_e2e:.2f} | {note} |"
        )

    print(f"machine: {machine.cpu_model()}, sentiment: {sentiment_mode()}")
    print("| stage | events | s | events/s | µs/event | share of end to end | note |")
    print("|---|---:|---:|---:|---:|---:|---|")
    print(row("X stream connector (HTTP + JSON + mapping)", t_conn, "over loopback HTTP"))
    print(row("InboundPost validation", t_valid))
    print(row("pipeline: publish + store", t_pipe, f"{stored_pipe:,} stored, SQLite"))
    e2e_rate = n / t_e2e
    verdict = "meets" if e2e_rate >= TARGET else "misses"
    print(
        row(
            "end to end: stream → stored, one process",
            t_one,
            f"{stored_one:,} stored; enrichment and storage take turns",
        )
    )
    print(
        row(
            "end to end: stream → stored, enrichment process",
            t_e2e,
            f"{stored_e2e:,} stored; "
            f"{verdict} the {TARGET:,}/s target ({e2e_rate / TARGET:.1f}x); "
            f"{t_one / t_e2e:.2f}x one process",
        )
    )
    print(
        f"connector cost per event is {t_conn / t_pipe:.2f}x the pipeline's "
        f"({1e6 * t_conn / n:.0f} µs vs {1e6 * t_pipe / n:.0f} µs)"
    )


if __name__ == "__main__":
    main()
