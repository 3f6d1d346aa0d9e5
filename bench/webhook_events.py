"""What ``interaction.stored`` webhooks cost ingestion: the process stage with no
subscription, with one that wants other events, and with one that wants every stored
interaction (one outbox row per post, written in the batch's transaction).

Each configuration runs on a fresh SQLite file with the same posts, in batches of 500
through ``ProcessStage.handle`` (enrich + remember + emit), alternating configurations
over ``--rounds`` rounds and keeping each one's best, so a burst of other work on the
machine does not land on one configuration only. Printed: posts/s and the ratio to the
run without any subscription.

    .venv/bin/python -m bench.webhook_events [--posts 6000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import func, select

from bench.common import bench_settings, fresh_sqlite
from bench.machine import describe, load
from groundswell.core.brokers import Message
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.core.instance_keys import resolve_keys
from groundswell.core.outbound import OutboundPolicy
from groundswell.notify import events
from groundswell.notify.models import Delivery
from groundswell.notify.schemas import SubscriptionCreate
from groundswell.notify.subscriptions import create_subscription
from groundswell.workers.process_stage import ProcessStage

CONFIGS = {
    "no subscription": None,
    "subscription, other events": ["case.opened", "alert.opened"],
    "subscription, interaction.stored": ["interaction.stored"],
}
BATCH = 500


def _posts(n: int) -> list[bytes]:
    start = datetime.now(UTC) - timedelta(hours=2)
    texts = ["@united lost my bag, awful", "delta was great today", "@united thanks, lovely"]
    return [
        orjson.dumps(
            {
                "channel": "twitter",
                "external_id": f"w{i}",
                "text": f"{texts[i % 3]} #{i}",
                "created_at": (start + timedelta(milliseconds=i)).isoformat(),
                "author": {"external_id": f"a{i % 1500}", "handle": f"a{i % 1500}"},
            }
        )
        for i in range(n)
    ]


def run(name: str, types: list[str] | None, posts: list[bytes]) -> tuple[float, int]:
    url = fresh_sqlite(Path(f"/tmp/gs_bench_webhook_events_{abs(hash(name))}.db"))
    settings = bench_settings(url)
    db = Database(settings)
    if types is not None:
        with db.session() as s:
            create_subscription(
                s,
                data=SubscriptionCreate.model_validate(
                    {"name": "bench", "url": "https://hooks.example.com/x", "event_types": types}
                ),
                outbound=OutboundPolicy.from_setting("hooks.example.com"),
                instance_key=resolve_keys(settings).webhook_key,
                created_by="bench",
            )
    events.invalidate_cache()
    stage = ProcessStage(settings, db, MemoryBroker())
    stage.refresh_subjects(force=True)
    stage.enricher.enrich_many([])  # load what loads lazily before the clock starts
    begin = time.perf_counter()
    for lo in range(0, len(posts), BATCH):
        chunk = posts[lo : lo + BATCH]
        outcome = stage.handle([Message(f"{lo + i}-0", p) for i, p in enumerate(chunk)])
        assert not outcome.failed, outcome.failed
    elapsed = time.perf_counter() - begin
    with db.session() as s:
        rows = int(s.scalar(select(func.count()).select_from(Delivery)) or 0)
    db.dispose()
    return elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("machine:", describe())
    posts = _posts(args.posts)
    run("warm-up", None, posts[:BATCH])  # imports, models and caches load once, off the clock
    best: dict[str, float] = {}
    rows: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, types in CONFIGS.items():
            elapsed, written = run(name, types, posts)
            best[name] = min(best.get(name, float("inf")), elapsed)
            rows[name] = written
    base = args.posts / best["no subscription"]
    print(f"\ningest through the process stage, {args.posts} posts, SQLite, load {load()}")
    print(f"{'configuration':<36}{'posts/s':>10}{'ratio':>8}{'outbox rows':>13}")
    for name in CONFIGS:
        rate = args.posts / best[name]
        print(f"{name:<36}{rate:>10.0f}{rate / base:>8.2f}{rows[name]:>13}")


if __name__ == "__main__":
    main()
