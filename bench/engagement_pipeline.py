"""Does the rules stage keep up with ingestion, and how soon is a new case in the inbox?

Throughput: posts (two thirds negative, half mentioning the brand) go through the process
stage in batches of 200, then the engagement stage drains the ``interaction.stored``
events with the demo's rules plus 48 that rarely match. Printed: each stage's rate, the
rules stage against the 200 posts/s the issue names and against the process stage
measured in the same run.

Latency: both stages run in threads as in ``serve`` while posts arrive at a steady
``--rate`` (200 posts/s) for ``--seconds``; an observer asks the inbox service
(``list_cases``, 200 cases, most recent first) every 100 ms. For each case, the
time from its first post being stored (``ingested_at``, set in the ingest transaction)
to the first inbox answer that contains it; also from the post's arrival on the broker.
The poll makes each figure up to 100 ms late (and costs the stages some CPU: all
three share one process, as in ``serve``).

    .venv/bin/python -m bench.engagement_pipeline [--posts 4000] [--postgres]
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import func, select

from bench.common import bench_settings, create_pg_database, drop_pg_database, fresh_sqlite
from bench.machine import describe
from groundswell.core.brokers import Message
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.demo.engagement_setup import ensure_engagement
from groundswell.engagement.config_models import Rule
from groundswell.engagement.inbox import list_cases
from groundswell.engagement.models import Case, CaseEvent
from groundswell.engagement.schemas import InboxFilters
from groundswell.ingestion.service import posts_stream
from groundswell.workers.engagement_stage import engagement_loop
from groundswell.workers.loops import process_loop
from groundswell.workers.process_stage import ProcessStage

TEXTS = [
    "@united lost my bag, awful service",
    "@united cancelled again, terrible",
    "delta was great today",
    "@united thanks, lovely crew",
    "bad delay at the gate, awful",
]


def prepared(url: str) -> Database:
    db = Database(bench_settings(url))
    ensure_engagement(db, password="bench password long enough", open_cases=0)  # noqa: S106
    with db.session() as s:
        for i in range(48):
            s.add(
                Rule(
                    name=f"filler {i}",
                    position=100 + i,
                    stop=False,
                    active=True,
                    conditions={"keywords": [f"zzword{i}"], "influence_min": 90},
                    actions=[{"type": "tag", "tag": f"f{i}"}],
                )
            )
    return db


def post(i: int, rng: random.Random, at: datetime, authors: int) -> bytes:
    return orjson.dumps(
        {
            "channel": "twitter",
            "external_id": f"b{i}",
            "text": rng.choice(TEXTS) + f" #{i}",
            "created_at": at.isoformat(),
            "author": {"external_id": f"a{i % authors}", "handle": f"a{i % authors}"},
        }
    )


def throughput(url: str, n: int) -> tuple[float, float, int]:
    """(process posts/s, rules posts/s, cases opened)."""
    db = prepared(url)
    settings = db.settings
    broker = MemoryBroker()
    loop, _stage = engagement_loop(settings, db, broker, consumer="bench")
    process = ProcessStage(settings, db, broker)
    rng = random.Random(5)
    now = datetime.now(UTC) - timedelta(hours=1)
    posts = [post(i, rng, now + timedelta(milliseconds=i), 900) for i in range(n)]
    begin = time.perf_counter()
    for lo in range(0, len(posts), 200):
        process.handle(
            [Message(id=str(i), payload=p) for i, p in enumerate(posts[lo : lo + 200], lo)]
        )
    ingest_s = time.perf_counter() - begin
    begin = time.perf_counter()
    handled = 0
    while handled < n:
        got = loop.run_once()
        if got == 0:
            break
        handled += got
    rules_s = time.perf_counter() - begin
    with db.session() as s:
        opened = int(s.scalar(select(func.count()).select_from(Case)) or 0)
    db.dispose()
    return n / ingest_s, handled / rules_s, opened


def latency(url: str, *, seconds: float, rate: int) -> dict[str, float]:
    """Post stored → case in the inbox, both stages in threads, posts paced at ``rate``."""
    db = prepared(url)
    settings = db.settings
    broker = MemoryBroker()
    p_loop, _p = process_loop(settings, db, broker, consumer="bench-p")
    e_loop, _e = engagement_loop(settings, db, broker, consumer="bench-e")
    stop = threading.Event()
    workers = [
        threading.Thread(target=p_loop.run, args=(stop,), daemon=True),
        threading.Thread(target=e_loop.run, args=(stop,), daemon=True),
    ]
    for t in workers:
        t.start()
    seen: dict[int, float] = {}

    def observe() -> None:
        filters = InboxFilters(sort="recent", limit=200)
        while not stop.is_set():
            with db.session() as s:
                page = list_cases(s, user_id=1, filters=filters, now=datetime.now(UTC))
            at = time.time()
            for row in page.cases:
                seen.setdefault(row.id, at)
            stop.wait(0.1)

    observer = threading.Thread(target=observe, daemon=True)
    observer.start()
    rng = random.Random(7)
    published: dict[str, float] = {}
    total = int(seconds * rate)
    tick = 0.05
    per_tick = max(1, int(rate * tick))
    start = time.monotonic()
    for lo in range(0, total, per_tick):
        target = start + (lo / rate)
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = datetime.now(UTC)
        batch = [post(i, rng, now, 5000) for i in range(lo, min(total, lo + per_tick))]
        at = time.time()
        broker.publish(posts_stream(settings), batch)
        for i in range(lo, min(total, lo + per_tick)):
            published[f"b{i}"] = at
    produce_s = time.monotonic() - start
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        broker.backlog(p_loop.stream, p_loop.group) or broker.backlog(e_loop.stream, e_loop.group)
    ):
        time.sleep(0.1)
    time.sleep(0.5)
    stop.set()
    for t in (*workers, observer):
        t.join(timeout=10)
    with db.session() as s:
        created = s.execute(
            select(CaseEvent.case_id, CaseEvent.data).where(CaseEvent.kind == "created")
        ).all()
        first_ids = {int(d["interaction_id"]): cid for cid, d in created}
        rows = s.execute(
            select(Interaction.id, Interaction.external_id, Interaction.ingested_at).where(
                Interaction.id.in_(list(first_ids))
            )
        ).all()
    db.dispose()
    stored_lat, arrived_lat, missed = [], [], 0
    for iid, ext, ingested in rows:
        case_id = first_ids[iid]
        if case_id not in seen:  # never seen: counted as infinitely late
            missed += 1
            stored_lat.append(float("inf"))
            arrived_lat.append(float("inf"))
            continue
        stored_lat.append(seen[case_id] - ingested.replace(tzinfo=UTC).timestamp())
        arrived_lat.append(seen[case_id] - published[ext])

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * q))] * 1000 if xs else float("nan")

    return {
        "posts": total,
        "rate": total / produce_s,
        "cases": len(rows),
        "missed": missed,
        "stored_p50": pct(stored_lat, 0.5),
        "stored_p99": pct(stored_lat, 0.99),
        "stored_max": pct(stored_lat, 1.0),
        "arrived_p50": pct(arrived_lat, 0.5),
        "arrived_p99": pct(arrived_lat, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    print("machine:", describe())
    stores = [("sqlite", lambda tag: fresh_sqlite(Path(f"/tmp/gs_bench_engagement_{tag}.db")))]
    if args.postgres:
        stores.append(("postgresql", lambda tag: create_pg_database(f"gs_bench_engagement_{tag}")))
    print(
        f"\nThroughput, {args.posts:,} posts\n"
        f"{'store':11} {'process/s':>10} {'rules/s':>9} {'rules vs 200/s':>15} "
        f"{'rules vs process':>17} {'cases':>6}"
    )
    for name, make in stores:
        process_rate, rules_rate, opened = throughput(make("pipeline"), args.posts)
        print(
            f"{name:11} {process_rate:10,.0f} {rules_rate:9,.0f} {rules_rate / 200:14.1f}x "
            f"{rules_rate / process_rate:16.2f}x {opened:6}"
        )
    if not args.skip_latency:
        print(
            f"\nPost → case in the inbox, posts at {args.rate}/s for {args.seconds:.0f} s, both "
            f"stages in threads\n{'store':11} {'posts/s':>8} {'cases':>6} {'p50 ms':>7} "
            f"{'p99 ms':>7} {'max ms':>7} {'p99 vs 2 s':>11} {'arrived p99':>12} {'missed':>7}"
        )
        for name, make in stores:
            r = latency(make("latency"), seconds=args.seconds, rate=args.rate)
            print(
                f"{name:11} {r['rate']:8.0f} {r['cases']:6.0f} {r['stored_p50']:7.0f} "
                f"{r['stored_p99']:7.0f} {r['stored_max']:7.0f} "
                f"{r['stored_p99'] / 2000:10.2f}x {r['arrived_p99']:12.0f} {r['missed']:7.0f}"
            )
    if args.postgres:
        for tag in ("pipeline", "latency"):
            drop_pg_database(f"gs_bench_engagement_{tag}")


if __name__ == "__main__":
    main()
