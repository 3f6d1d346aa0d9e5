"""A stream connector's cost per event next to the pipeline's cost per post.

The Mastodon stand-in pushes N mention notifications over its streaming endpoint
(server-sent events, real HTTP on loopback); ``channels.mastodon.stream`` reads, validates
and maps them. The consuming thread's CPU time per event is the connector's cost; the same
posts then go through the process stage (lexicon sentiment, SQLite), whose wall time per
post is the pipeline's. The connector must not be the bottleneck: its events/s should be
well above the pipeline's posts/s, and above 2,000 events/s.

Usage: ``python -m bench.stream_connector [--events 5000]``
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from bench.common import bench_settings
from bench.machine import describe
from groundswell.channels.mastodon.connector import MastodonConfig, MastodonConnector
from groundswell.channels.mastodon.standin import MastodonStandin
from groundswell.channels.mastodon.stream import stream
from groundswell.core.brokers import open_broker
from groundswell.core.brokers.base import Message
from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.ingestion.formats import Accepted, validate_items
from groundswell.ingestion.service import validation_context
from groundswell.workers.process_stage import ProcessStage

TARGET_EVENTS_PER_S = 2000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    with MastodonStandin() as standin:
        for i in range(args.events):
            standin.mention(
                f"user{i % 500}", f"flight {i % 900} delayed again, gate changed", push=True
            )
        last = standin.notifications[-1]["id"]
        standin.end_stream()
        connector = MastodonConnector(
            MastodonConfig(base_url=standin.url, access_token=standin.token)
        )
        posts = []
        stop = threading.Event()
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        for page in stream(connector, f'{{"mentions": "{last}"}}', stop=stop):
            posts.extend(page.posts)
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    workdir = Path(tempfile.mkdtemp(prefix="gs-bench-stream-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    settings = bench_settings(url)
    db = Database(settings)
    stage = ProcessStage(settings, db, open_broker("memory://"))
    items: list[object] = list(posts)
    parsed = [
        r.post
        for r in validate_items(items, context=validation_context(settings))
        if isinstance(r, Accepted)
    ]
    messages = [
        Message(id=str(i), payload=p.model_dump_json().encode()) for i, p in enumerate(parsed)
    ]
    p_wall0 = time.perf_counter()
    for start in range(0, len(messages), 500):
        stage.handle(messages[start : start + 500])
    p_wall = time.perf_counter() - p_wall0
    db.dispose()
    machine = describe()
    n = len(posts)
    print(
        f"machine: {machine['cpu']} × {machine['nproc']}, Python {machine['python']}, "
        f"load {machine['load']}, commit {machine['commit']}\n"
    )
    print("| stage | events | µs per event | events/s |")
    print("|---|---|---|---|")
    rows = [
        ("Mastodon stream connector (CPU of its thread)", n, cpu),
        ("Mastodon stream connector (wall, stand-in in-process)", n, wall),
        ("pipeline: process stage, lexicon, SQLite (wall)", len(parsed), p_wall),
    ]
    for label, count, seconds in rows:
        print(f"| {label} | {count} | {1e6 * seconds / count:.0f} | {count / seconds:.0f} |")
    print(
        f"\nconnector cost / pipeline cost per event: {cpu / p_wall:.2f}×; connector CPU rate / "
        f"{TARGET_EVENTS_PER_S:.0f} events/s target: {n / cpu / TARGET_EVENTS_PER_S:.2f}×"
    )


if __name__ == "__main__":
    main()
