"""A realistic listening store, written in bulk: posts, subject links and minute rollups.

``build_dataset(url, posts=1_000_000)`` fills a migrated, empty database with 30 days of
inbound posts on five channels from 20,000 authors, about 20 tracked subjects (two
brands of ours, competitors, products and topics) with unequal popularity, a daily rhythm
(quiet nights, busy afternoons) and quieter weekends, and a few half-hour bursts at ten
times the usual rate. Rollups are aggregated from the very posts written, exactly as the
pipeline would have added them, so series, drill-down and backfill read consistent data.

Rows go in through the driver's fastest path (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) rather than the pipeline: this builds the store a latency benchmark reads,
it does not measure ingestion (``bench.throughput`` does).
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, text

from groundswell.listening.models import ALL_POSTS

START = datetime(2025, 3, 3, tzinfo=UTC)
"""A Monday, so weekends fall on the same days every run."""
DAYS = 30
AUTHORS = 20_000
CHANNELS = (
    ("twitter", 0.5),
    ("mastodon", 0.2),
    ("reddit", 0.15),
    ("email", 0.1),
    ("bluesky", 0.05),
)
SUBJECTS = (
    ("Acme Air", "brand", "acme"),
    ("Acme Rewards", "brand", 'acmerewards OR "acme rewards"'),
    ("Globex", "competitor", "globex"),
    ("Initech Airways", "competitor", "initech"),
    ("Umbrella Jet", "competitor", "umbrella"),
    ("Hooli Fly", "competitor", "hooli"),
    ("Acme app", "product", "app AND acme"),
    ("Lounges", "product", "lounge OR lounges"),
    ("Wi-Fi", "product", "wifi"),
    ("Baggage", "topic", "bag OR baggage OR luggage"),
    ("Delays", "topic", "delayed OR delay OR late"),
    ("Cancellations", "topic", "cancelled OR canceled"),
    ("Refunds", "topic", "refund OR refunds"),
    ("Seats", "topic", "seat OR seats"),
    ("Food", "topic", "food OR meal"),
    ("Crew", "topic", "crew OR staff"),
    ("Check-in", "topic", 'checkin OR "check in"'),
    ("Prices", "topic", "price OR prices OR fare"),
    ("Pets", "topic", "pet OR dog OR cat"),
    ("Outage", "topic", "outage OR down"),
)
SUBJECT_WORD = (
    "acme", "acmerewards", "globex", "initech", "umbrella", "hooli", "app", "lounge", "wifi",
    "luggage", "delayed", "cancelled", "refund", "seat", "meal", "crew", "checkin", "fare",
    "dog", "outage",
)  # fmt: skip
"""One word per subject that its query matches, used to write posts that mention it."""
FILLER = [
    "today",
    "again",
    "still",
    "waiting",
    "hours",
    "thanks",
    "please",
    "why",
    "never",
    "always",
    "great",
    "terrible",
    "love",
    "worst",
    "best",
    "flight",
    "gate",
    "airport",
    "booking",
    "customer",
    "service",
    "phone",
    "chat",
    "email",
    "help",
    "week",
    "morning",
    "night",
    "tomorrow",
    "trip",
    "home",
    "holiday",
    "family",
    "work",
    "ok",
    "fine",
    "slow",
    "fast",
    "nice",
    "rude",
]
BURSTS = ((19, 2, 14), (10, 10, 9), (9, 22, 20))
"""(subject index, day, hour): half an hour at ten times the usual rate."""
BURST_MINUTES = 30
BURST_RATE = 10
CHUNK = 50_000


@dataclass
class Dataset:
    url: str
    posts: int
    subject_ids: list[int]
    channel_ids: dict[str, int]
    start: datetime = START
    days: int = DAYS
    rollup_rows: int = 0
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)


def _minute_weights() -> np.ndarray[Any, np.dtype[np.float64]]:
    minutes = np.arange(DAYS * 1440)
    hour = (minutes % 1440) / 60.0
    daily = 0.15 + np.exp(-(((hour - 15.0) / 5.0) ** 2))
    weekday = (minutes // 1440) % 7
    weekly = np.where(weekday >= 5, 0.7, 1.0)
    weights: np.ndarray[Any, np.dtype[np.float64]] = daily * weekly
    normalised: np.ndarray[Any, np.dtype[np.float64]] = weights / weights.sum()
    return normalised


def _plan(posts: int, seed: int) -> Iterator[tuple[int, int, int, tuple[int, ...], bool]]:
    """(epoch second, channel index, author, subject indexes, in a burst) per post."""
    rng = np.random.default_rng(seed)
    burst_posts = int(posts / (DAYS * 1440) * BURST_MINUTES * (BURST_RATE - 1)) * len(BURSTS)
    normal = posts - burst_posts
    per_minute = rng.multinomial(normal, _minute_weights())
    minute_of_post = np.repeat(np.arange(DAYS * 1440), per_minute)
    seconds = rng.integers(0, 60, size=normal)
    base = int(START.timestamp())
    popularity = 1.0 / np.arange(1, len(SUBJECTS) + 1) ** 0.8
    popularity /= popularity.sum()
    how_many = rng.choice(3, size=normal, p=[0.3, 0.55, 0.15])
    picks = rng.choice(len(SUBJECTS), size=(normal, 2), p=popularity)
    channel = rng.choice(len(CHANNELS), size=posts, p=[w for _, w in CHANNELS])
    authors = rng.zipf(1.3, size=posts) % AUTHORS
    for k in range(normal):
        n = int(how_many[k])
        chosen = tuple(sorted({int(x) for x in picks[k, :n]}))
        at = base + int(minute_of_post[k]) * 60 + int(seconds[k])
        yield at, int(channel[k]), int(authors[k]), chosen, False
    per_burst = burst_posts // len(BURSTS)
    k = normal
    for subject, day, hour in BURSTS:
        begin = base + (day * 24 + hour) * 3600
        for _ in range(per_burst):
            at = begin + int(rng.integers(0, BURST_MINUTES * 60))
            yield at, int(channel[k]), int(authors[k]), (subject,), True
            k += 1


def _label(rng: random.Random, subjects: tuple[int, ...], burst: bool) -> tuple[str, float]:
    negative = 0.8 if burst else 0.45 if any(s >= 9 for s in subjects) else 0.25
    r = rng.random()
    if r < negative:
        return "negative", round(-rng.uniform(0.05, 0.95), 4)
    if r < negative + 0.35:
        return "neutral", 0.0
    return "positive", round(rng.uniform(0.05, 0.95), 4)


def _text(rng: random.Random, subjects: tuple[int, ...], burst: bool) -> str:
    words = rng.sample(FILLER, rng.randint(6, 12))
    for s in subjects:
        words.insert(rng.randrange(len(words) + 1), SUBJECT_WORD[s])
    if burst:
        words[:0] = ["down", "again", "cannot", "log", "in"]
    return " ".join(words)


def _setup(engine: Engine) -> tuple[list[int], dict[str, int]]:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM interactions")).scalar():
            raise RuntimeError("build_dataset needs an empty, migrated database")
        conn.execute(text("DELETE FROM subjects"))
        for key, _ in CHANNELS:
            conn.execute(
                text("INSERT INTO channels (key, name, created_at) VALUES (:k, :n, :t)"),
                {"k": key, "n": key.title(), "t": now},
            )
        for name, kind, query in SUBJECTS:
            conn.execute(
                text(
                    "INSERT INTO subjects (name, kind, query, active, created_at, updated_at) "
                    "VALUES (:n, :k, :q, :a, :t, :t)"
                ),
                {"n": name, "k": kind, "q": query, "a": True, "t": now},
            )
        channels: dict[Any, Any] = dict(conn.execute(text("SELECT key, id FROM channels")).all())
        names: dict[Any, Any] = {
            n: i for i, n in conn.execute(text("SELECT id, name FROM subjects")).all()
        }
        conn.execute(
            text(
                "INSERT INTO identities (platform, external_id, handle, verified, is_brand, "
                "first_seen, last_seen) VALUES ('twitter', :e, :h, false, false, :t, :t)"
            ),
            [{"e": f"a{i}", "h": f"@author{i}", "t": START} for i in range(AUTHORS)],
        )
        first_identity: Any = conn.execute(text("SELECT min(id) FROM identities")).scalar_one()
    subject_ids = [int(names[name]) for name, _, _ in SUBJECTS]
    channels_by_key = {str(k): int(v) for k, v in channels.items()}
    return subject_ids, {**channels_by_key, "_first_identity": int(first_identity)}


class _Writer:
    """Appends interactions and links through the driver's bulk path."""

    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        self.driver: Any = self.raw.driver_connection
        self.sqlite = engine.dialect.name == "sqlite"

    def write(self, interactions: list[tuple[Any, ...]], links: list[tuple[int, int]]) -> None:
        cols = (
            "id, channel_id, external_id, direction, identity_id, text, created_at, "
            "ingested_at, language, sentiment_score, sentiment_label, likes, shares, replies, "
            "subject_ids, entities, influence, enrichment_versions"
        )
        if self.sqlite:
            marks = ", ".join("?" * 18)
            cur = self.driver.cursor()
            cur.executemany(f"INSERT INTO interactions ({cols}) VALUES ({marks})", interactions)
            cur.executemany(
                "INSERT INTO interaction_subjects (interaction_id, subject_id) VALUES (?, ?)",
                links,
            )
            self.driver.commit()
            return
        with self.driver.cursor() as cur:
            with cur.copy(f"COPY interactions ({cols}) FROM STDIN") as copy:
                for row in interactions:
                    copy.write_row(row)
            with cur.copy("COPY interaction_subjects (interaction_id, subject_id) FROM STDIN") as c:
                for link in links:
                    c.write_row(link)
        self.driver.commit()

    def close(self) -> None:
        self.raw.close()


def _stamp(epoch: int, sqlite: bool) -> Any:
    value = datetime.fromtimestamp(epoch, UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.000000") if sqlite else value


def build_dataset(database_url: str, posts: int = 1_000_000, seed: int = 20250303) -> Dataset:
    """Fill a migrated, empty database (see the module docstring); returns what it wrote."""
    began = time.perf_counter()
    engine = create_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"
    subject_ids, channel_map = _setup(engine)
    first_identity = channel_map.pop("_first_identity")
    channel_ids = [channel_map[key] for key, _ in CHANNELS]
    rng = random.Random(seed)
    rollups: dict[tuple[int, int, int, str], list[float]] = defaultdict(lambda: [0, 0.0])
    writer = _Writer(engine)
    batch: list[tuple[Any, ...]] = []
    links: list[tuple[int, int]] = []
    empty, versions = "{}", json.dumps({"sentiment": "bench"})
    try:
        for k, (at, ch, author, subjects, burst) in enumerate(_plan(posts, seed), start=1):
            label, score = _label(rng, subjects, burst)
            ids = [subject_ids[s] for s in subjects]
            stamp = _stamp(at, sqlite)
            batch.append(
                (k, channel_ids[ch], f"b{k}", "in", first_identity + author,
                 _text(rng, subjects, burst), stamp, stamp, "en", score, label, 0, 0, 0,
                 json.dumps(ids), empty, round(rng.expovariate(1 / 15), 2), versions)
            )  # fmt: skip
            links.extend((k, sid) for sid in ids)
            minute = at - at % 60
            for sid in (ALL_POSTS, *ids):
                cell = rollups[(minute, sid, channel_ids[ch], label)]
                cell[0] += 1
                cell[1] += score
            if len(batch) >= CHUNK:
                writer.write(batch, links)
                batch, links = [], []
        if batch:
            writer.write(batch, links)
    finally:
        writer.close()
    _write_rollups(engine, rollups, sqlite)
    with engine.begin() as conn:
        if not sqlite:
            conn.execute(text("SELECT setval('interactions_id_seq', :n)"), {"n": posts})
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return Dataset(
        url=database_url,
        posts=posts,
        subject_ids=subject_ids,
        channel_ids=channel_map,
        rollup_rows=len(rollups),
        seconds=time.perf_counter() - began,
    )


def _write_rollups(
    engine: Engine, rollups: dict[tuple[int, int, int, str], list[float]], sqlite: bool
) -> None:
    rows = [
        (_stamp(k[0], sqlite), k[1], k[2], k[3], int(v[0]), float(v[1]))
        for k, v in sorted(rollups.items())
    ]
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        cols = "minute, subject_id, channel_id, sentiment_label, count, sentiment_sum"
        if sqlite:
            driver.executemany(
                f"INSERT INTO minute_rollups ({cols}) VALUES (?, ?, ?, ?, ?, ?)", rows
            )
        else:
            with driver.cursor() as cur, cur.copy(f"COPY minute_rollups ({cols}) FROM STDIN") as c:
                for row in rows:
                    c.write_row(row)
        driver.commit()
    finally:
        raw.close()
