"""Drill-down latency (p50/p95) over a 1,000,000-post store on SQLite and PostgreSQL.

The store is generated here: 30 days of inbound posts (about 23 a minute) from 20,000
authors on three channels, linked to the demo's subjects (60% one subject, 10% two,
30% none), with per-minute rollups written the way the pipeline writes them, and one
30-minute outage spike at ten times the usual rate for the first subject. Texts are drawn
from a small English vocabulary, so term counting does real work.

Measured: ``drilldown()`` end to end (reads, keyness, candidates, term-vector clusters,
samples, summary) inside a read transaction, for four kinds of question, each asked
``REPEAT`` times at different places in the month:

- ``spike 30m``: the outage window of the spiking subject (its own 24 h baseline);
- ``subject 1h``: an ordinary hour of a random subject;
- ``all posts 1h``: an hour of everything (about 1,400 posts);
- ``subject 24h``: a whole day of a subject, over the read cap, so sampled.

Sentence embeddings are not used (``embedder="none"``): clusters use term vectors.

    .venv/bin/python -m bench.drilldown_latency [--posts 1000000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text

from bench.common import bench_settings, create_pg_database, drop_pg_database, fresh_sqlite
from bench.machine import describe
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Identity, Interaction, InteractionSubject
from groundswell.listening.drilldown.service import drilldown
from groundswell.listening.models import Subject
from groundswell.listening.rollups import RollupInput, aggregate

START = datetime(2025, 3, 1, tzinfo=UTC)
DAYS = 30
AUTHORS = 20_000
CHUNK = 20_000
SPIKE_AT = START + timedelta(days=20, hours=14)
SPIKE_MINUTES = 30
_VOCAB = (
    "order delivery arrived late again support answer waiting week still nothing refund "
    "price app update login password card payment store staff friendly great love thanks "
    "help please why today tomorrow phone call email chat agent manager box damaged wrong "
    "size return exchange account points coupon sale new product quality broken works fine "
    "fast slow shipping tracking number hours days customer service best worst experience "
    "recommend never always ok good bad terrible amazing checkout cart website error page"
)
WORDS = _VOCAB.split()
_SPIKE_VOCAB = "outage down cannot log in app crashed error 503 status page refund"
SPIKE_WORDS = _SPIKE_VOCAB.split()
SPIKE_RATE = 10


def _texts(rng: random.Random, handle: str, spike: bool) -> str:
    words = rng.sample(WORDS, rng.randint(7, 14))
    if spike:
        words[: rng.randint(3, 5)] = rng.sample(SPIKE_WORDS, 5)[:4]
        rng.shuffle(words)
    return f"{handle} " + " ".join(words)


def _rows(
    posts: int, subjects: list[int], channels: list[int], identities: list[int]
) -> Iterator[tuple[dict[str, Any], list[int]]]:
    rng = random.Random(7)
    span = DAYS * 86_400
    spike_posts = int(posts / span * SPIKE_MINUTES * 60 * (SPIKE_RATE - 1))
    normal = posts - spike_posts
    for k in range(posts):
        if k < normal:
            at = START + timedelta(seconds=span * k / normal)
            r = rng.random()
            linked = (
                [rng.choice(subjects)] if r < 0.6 else rng.sample(subjects, 2) if r < 0.7 else []
            )
            spike = False
        else:
            at = SPIKE_AT + timedelta(seconds=rng.uniform(0, SPIKE_MINUTES * 60))
            linked = [subjects[0]]
            spike = True
        label = "negative" if spike or rng.random() < 0.3 else rng.choice(("neutral", "positive"))
        yield (
            {
                "id": k + 1,
                "channel_id": channels[k % len(channels)],
                "external_id": f"b{k}",
                "direction": "in",
                "identity_id": identities[rng.randrange(len(identities))],
                "text": _texts(rng, "@brand", spike),
                "created_at": at,
                "ingested_at": at,
                "sentiment_label": label,
                "sentiment_score": -0.5 if label == "negative" else 0.3,
                "influence": round(rng.expovariate(1 / 15), 2),
                "subject_ids": linked,
                "entities": {},
                "enrichment_versions": {},
                "likes": 0,
                "shares": 0,
                "replies": 0,
            },
            linked,
        )


def build(url: str, posts: int) -> Database:
    db = Database(bench_settings(url))
    with db.session() as s:
        subjects = list(s.scalars(select(Subject.id).order_by(Subject.id)))
        chans = [Channel(key=k, name=k.title()) for k in ("twitter", "mastodon", "reddit")]
        s.add_all(chans)
        s.flush()
        channels = [c.id for c in chans]
    engine: Engine = db.engine
    with engine.begin() as conn:
        conn.execute(
            insert(Identity),
            [
                {
                    "id": i + 1,
                    "platform": "twitter",
                    "external_id": f"a{i}",
                    "handle": f"@author{i}",
                    "followers": int(random.Random(i).paretovariate(1.2) * 50),
                    "verified": False,
                    "is_brand": False,
                    "first_seen": START,
                    "last_seen": START,
                }
                for i in range(AUTHORS)
            ],
        )
    identities = list(range(1, AUTHORS + 1))
    batch: list[dict[str, Any]] = []
    links: list[dict[str, int]] = []
    rollups: list[RollupInput] = []

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(Interaction), batch)
            if links:
                conn.execute(insert(InteractionSubject), links)
        batch.clear()
        links.clear()

    for row, linked in _rows(posts, subjects, channels, identities):
        batch.append(row)
        links.extend({"interaction_id": row["id"], "subject_id": s} for s in linked)
        rollups.append(
            RollupInput(
                row["created_at"],
                row["channel_id"],
                row["sentiment_label"],
                row["sentiment_score"],
                tuple(linked),
            )
        )
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    cells = aggregate(rollups)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO minute_rollups (minute, subject_id, channel_id, sentiment_label, "
                "count, sentiment_sum) VALUES (:m, :s, :c, :l, :n, :t)"
            ),
            [
                {
                    "m": k[0].replace(tzinfo=None) if db.dialect == "sqlite" else k[0],
                    "s": k[1],
                    "c": k[2],
                    "l": k[3],
                    "n": v[0],
                    "t": v[1],
                }
                for k, v in cells.items()
            ],
        )
        conn.execute(text("ANALYZE"))
    if db.dialect == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT setval('interactions_id_seq', :n)"), {"n": posts})
            conn.commit()
    return db


def _questions(subjects: list[int], repeat: int) -> list[tuple[str, int | None, datetime, int]]:
    rng = random.Random(11)
    out: list[tuple[str, int | None, datetime, int]] = []
    for _ in range(repeat):
        day = START + timedelta(days=rng.randint(2, DAYS - 2), hours=rng.randint(0, 23))
        out.append(("spike 30m", subjects[0], SPIKE_AT, 30))
        out.append(("subject 1h", rng.choice(subjects), day, 60))
        out.append(("all posts 1h", None, day + timedelta(hours=3), 60))
        out.append(("subject 24h", rng.choice(subjects), day - timedelta(days=1), 1440))
    return out


def measure(db: Database, repeat: int) -> dict[str, list[float]]:
    with db.session() as s:
        subjects = list(s.scalars(select(Subject.id).order_by(Subject.id)))
    timings: dict[str, list[float]] = {}
    for kind, subject, start, minutes in _questions(subjects, repeat):
        with db.session() as s:
            began = time.perf_counter()
            result = drilldown(
                s,
                subject_id=subject,
                start=start,
                end=start + timedelta(minutes=minutes),
                embedder="none",
            )
            timings.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
        assert result.volume.focus.posts > 0
    return timings


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(engine: str, timings: dict[str, list[float]]) -> list[str]:
    lines = []
    everything = [v for vs in timings.values() for v in vs]
    for kind, values in [*timings.items(), ("all questions", everything)]:
        lines.append(
            f"| {engine} | {kind} | {len(values)} | {statistics.median(values):.0f} | "
            f"{_pct(values, 0.95):.0f} | {max(values):.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    header = [
        "| engine | question | n | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    rows: list[str] = []
    path = Path("/tmp/gs_bench_drilldown.db")
    engines = [("SQLite", None)] + ([] if args.skip_postgres else [("PostgreSQL", "pg")])
    for name, kind in engines:
        url = fresh_sqlite(path) if kind is None else create_pg_database("gs_bench_drilldown")
        began = time.perf_counter()
        db = build(url, args.posts)
        print(f"{name}: {args.posts:,} posts written in {time.perf_counter() - began:.0f} s")
        measure(db, 1)  # warm caches and plans once
        rows += table(name, measure(db, args.repeat))
        db.dispose()
        if kind is not None:
            drop_pg_database("gs_bench_drilldown")
    info = describe()
    print(f"\nDrill-down latency, {args.posts:,} stored posts, commit {info['commit']}")
    print(
        f"{info['cpu']} ({info['nproc']} CPUs), SQLite {info['sqlite']}, "
        f"PostgreSQL {info['postgresql']}, load {info['load']}\n"
    )
    print("\n".join(header + rows))


if __name__ == "__main__":
    main()
