"""Series and share-of-voice latency (p50/p95) over 1,000,000 stored posts.

Builds the store with ``bench.listening_data`` (30 days, 20 subjects, five channels) on
SQLite and on a fresh PostgreSQL database ``gs_bench_listening`` (dropped after), then
times the read path the API runs (``subject_series`` / ``share_of_voice``: the grouped
rollup query, zero-fill and schema building) inside a read transaction, for questions at
random places in the month:

- ``subject day @1m``: one subject, 24 h at one-minute resolution (1,440 points);
- ``all posts day @1m``: every post, 24 h at one minute;
- ``subject day @1m, channel``: the same, one channel only;
- ``subject week @1h``: one subject, 7 days hourly;
- ``subject week @1m``: the largest minute range allowed (10,080 points);
- ``share of voice week @1h``: brands against competitors.

Target: p95 < 100 ms for a day of minute series. With ``--backfill`` it also times a
full backfill of one subject over the whole store.

    .venv/bin/python -m bench.listening_latency [--posts 1000000] [--repeat 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.common import bench_settings, create_pg_database, drop_pg_database
from bench.listening_data import DAYS, START, Dataset, build_dataset
from bench.machine import describe
from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.listening.backfill import run_backfill
from groundswell.listening.models import ALL_POSTS
from groundswell.listening.series import share_of_voice, subject_series
from groundswell.listening.series_schemas import SeriesWindow

PG_NAME = "gs_bench_listening"
SQLITE_PATH = Path("/tmp/gs_bench_listening.db")


def _questions(data: Dataset, repeat: int) -> list[tuple[str, Callable[[Database], int]]]:
    rng = random.Random(5)
    out: list[tuple[str, Callable[[Database], int]]] = []

    def series(
        subject: int, start_h: int, hours: int, res: str, channel: str | None = None
    ) -> Callable[[Database], int]:
        start = START + timedelta(hours=start_h)
        window = SeriesWindow.build(start=start, end=start + timedelta(hours=hours), resolution=res)

        def run(db: Database) -> int:
            with db.session() as s:
                result = subject_series(s, subject_id=subject, window=window, channel=channel)
            return result.totals.volume

        return run

    def voice(start_h: int) -> Callable[[Database], int]:
        start = START + timedelta(hours=start_h)
        window = SeriesWindow.build(start=start, end=start + timedelta(days=7), resolution="1h")

        def run(db: Database) -> int:
            with db.session() as s:
                return share_of_voice(s, window=window).total

        return run

    last_day = (DAYS - 1) * 24
    for _ in range(repeat):
        subject = rng.choice(data.subject_ids)
        hour = rng.randrange(0, last_day)
        week = rng.randrange(0, (DAYS - 7) * 24)
        out.append(("subject day @1m", series(subject, hour, 24, "1m")))
        out.append(("all posts day @1m", series(ALL_POSTS, hour, 24, "1m")))
        out.append(("subject day @1m, channel", series(subject, hour, 24, "1m", "twitter")))
        out.append(("subject week @1h", series(subject, week, 24 * 7, "1h")))
        out.append(("subject week @1m", series(subject, week, 24 * 7, "1m")))
        out.append(("share of voice week @1h", voice(week)))
    return out


def measure(db: Database, data: Dataset, repeat: int) -> dict[str, list[float]]:
    questions = _questions(data, repeat)
    for _, run in questions[:6]:
        run(db)  # warm the page cache and the statement cache once
    timings: dict[str, list[float]] = {}
    for kind, run in questions:
        began = time.perf_counter()
        volume = run(db)
        timings.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
        assert volume >= 0
    return timings


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(engine: str, timings: dict[str, list[float]]) -> list[str]:
    return [
        f"| {engine} | {kind} | {len(values)} | {statistics.median(values):.1f} | "
        f"{_pct(values, 0.95):.1f} | {max(values):.1f} |"
        for kind, values in timings.items()
    ]


def _backfill(db: Database, data: Dataset) -> str:
    began = time.perf_counter()
    counts = run_backfill(db, subject_id=data.subject_ids[9])
    seconds = time.perf_counter() - began
    return (
        f"backfill of one subject: {counts.scanned:,} posts scanned, {counts.matched:,} "
        f"matched in {seconds:.1f} s ({counts.scanned / seconds:,.0f} posts/s)"
    )


def run_engine(name: str, url: str, posts: int, repeat: int, backfill: bool) -> list[str]:
    print(f"{name}: building {posts:,} posts …", flush=True)
    data = build_dataset(url, posts=posts)
    print(
        f"{name}: {data.posts:,} posts, {data.rollup_rows:,} rollup rows in {data.seconds:.0f} s",
        flush=True,
    )
    db = Database(bench_settings(url))
    try:
        rows = table(name, measure(db, data, repeat))
        notes = [f"{name}: {data.rollup_rows:,} rollup rows for {data.posts:,} posts"]
        if backfill:
            notes.append(f"{name}: " + _backfill(db, data))
    finally:
        db.dispose()
    for line in rows + notes:
        print(line, flush=True)
    return [*rows, "", *notes]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--backfill", action="store_true", help="also time one full backfill")
    args = parser.parse_args()
    header = [
        "| engine | question | n | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    results: list[list[str]] = []
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    sqlite_url = f"sqlite:///{SQLITE_PATH}"
    upgrade(sqlite_url)
    try:
        results.append(run_engine("SQLite", sqlite_url, args.posts, args.repeat, args.backfill))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    if not args.skip_postgres:
        url = create_pg_database(PG_NAME)
        try:
            results.append(run_engine("PostgreSQL", url, args.posts, args.repeat, args.backfill))
        finally:
            drop_pg_database(PG_NAME)
    rows = [line for r in results for line in r if line.startswith("|")]
    notes = [line for r in results for line in r if line and not line.startswith("|")]
    print("\n".join([*header, *rows, "", *notes]))
    print("machine: " + ", ".join(f"{k} {v}" for k, v in describe().items()))


if __name__ == "__main__":
    main()
