"""Does the rules stage keep up with ingestion? Both stages in one process, SQLite.

Posts (two thirds negative, half mentioning the brand) go through the process stage in
batches of 200, then the engagement stage drains the ``interaction.stored`` events with
the demo's rules plus 48 that rarely match. Printed: each stage's rate, and the rules
stage against the 200 posts/s the issue names.

    .venv/bin/python -m bench.engagement_pipeline [--posts 4000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import func, select

from bench.common import bench_settings, fresh_sqlite
from bench.machine import describe
from groundswell.core.brokers import Message
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.demo.engagement_setup import ensure_engagement
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Case
from groundswell.workers.engagement_stage import engagement_loop
from groundswell.workers.process_stage import ProcessStage


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=4000)
    args = parser.parse_args()
    print("machine:", describe())
    url = fresh_sqlite(Path("/tmp/gs_bench_engagement_pipeline.db"))
    settings = bench_settings(url)
    db = Database(settings)
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
    broker = MemoryBroker()
    loop, _stage = engagement_loop(settings, db, broker, consumer="bench")
    process = ProcessStage(settings, db, broker)
    rng = random.Random(5)
    now = datetime.now(UTC) - timedelta(hours=1)
    texts = [
        "@united lost my bag, awful service",
        "@united cancelled again, terrible",
        "delta was great today",
        "@united thanks, lovely crew",
        "bad delay at the gate, awful",
    ]
    posts = [
        orjson.dumps(
            {
                "channel": "twitter",
                "external_id": f"b{i}",
                "text": rng.choice(texts) + f" #{i}",
                "created_at": (now + timedelta(milliseconds=i)).isoformat(),
                "author": {"external_id": f"a{i % 900}", "handle": f"a{i % 900}"},
            }
        )
        for i in range(args.posts)
    ]
    begin = time.perf_counter()
    for lo in range(0, len(posts), 200):
        process.handle(
            [Message(id=str(i), payload=p) for i, p in enumerate(posts[lo : lo + 200], lo)]
        )
    ingest_s = time.perf_counter() - begin
    begin = time.perf_counter()
    handled = 0
    while handled < args.posts:
        n = loop.run_once()
        if n == 0:
            break
        handled += n
    rules_s = time.perf_counter() - begin
    with db.session() as s:
        opened = s.scalar(select(func.count()).select_from(Case))
    print(f"\n{'stage':28} {'posts':>7} {'seconds':>8} {'posts/s':>9} {'vs 200/s':>9}")
    for label, n, secs in (
        ("process (enrich + remember)", args.posts, ingest_s),
        ("rules (50 rules, cases)", handled, rules_s),
    ):
        print(f"{label:28} {n:7,} {secs:8.1f} {n / secs:9,.0f} {n / secs / 200:8.1f}x")
    print(f"cases opened: {opened}")
    db.dispose()


if __name__ == "__main__":
    main()
