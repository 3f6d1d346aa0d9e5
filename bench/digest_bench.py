"""Executive digest generation for one brand and a day of 1,000,000 posts (SQLite and PostgreSQL).

The store holds what the pipeline would have written for such a day: per-minute rollup
rows of all posts, the brand (600,000 posts) and three competitors, on four channels and
three sentiment labels, for the day and the same weekday of the four weeks before (the
seasonal baseline); 20,000 stored posts of the brand spread over the day (what the
drill-down samples for themes and sample posts), five alerts, 2,000 cases.

Measured, each ``REPEAT`` times, median:

- ``read rollups once`` (the baseline): every rollup row of the brand's day fetched once;
- ``figures (API JSON)``: ``build_digest``, serialised;
- ``web page``: figures, the two charts and the page fragment;
- ``PDF``: figures, the two charts and the one-page PDF.

    .venv/bin/python -m bench.digest_bench [--only sqlite|postgres] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.common import bench_settings, create_pg_database, drop_pg_database, fresh_sqlite
from bench.machine import describe
from groundswell.analytics.digest.charts import charts
from groundswell.analytics.digest.render import data_uris, render_body, render_pdf
from groundswell.analytics.digest.service import build_digest
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Identity, Interaction, InteractionSubject
from groundswell.engagement.models import Case
from groundswell.listening.alerts.models import Alert
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject

DAY = date(2025, 3, 3)
START = datetime(2025, 3, 3, tzinfo=UTC)
POSTS = 1_000_000
SHARES = (0.6, 0.2, 0.12, 0.08)
"""The brand's and three competitors' shares of the day's posts."""
LABELS = (("negative", -0.6, 0.25), ("neutral", 0.0, 0.45), ("positive", 0.6, 0.30))
STORED = 20_000
WORDS = [
    "flight",
    "delayed",
    "cancelled",
    "gate",
    "crew",
    "seat",
    "bag",
    "baggage",
    "refund",
    "voucher",
    "hotel",
    "app",
    "login",
    "booking",
    "upgrade",
    "lounge",
    "friendly",
    "thanks",
    "great",
    "terrible",
    "late",
    "again",
    "waiting",
    "hours",
    "help",
]


def _fill(db: Database) -> int:
    rng = random.Random(7)
    with db.session() as s:
        channels = [Channel(key=f"ch{n}", name=f"Channel {n}") for n in range(4)]
        brand = Subject(name="Bench Airways", kind="brand", query="bench")
        rivals = [
            Subject(name=f"Rival {n}", kind="competitor", query=f"rival{n}") for n in range(3)
        ]
        s.add_all([*channels, brand, *rivals])
        s.flush()
        subjects = [brand.id, *(r.id for r in rivals)]
        channel_ids = [c.id for c in channels]
        brand_id = brand.id
    per_minute = POSTS / 1440
    table = MinuteRollup.__table__
    for week in range(5):
        rows = []
        day = START - timedelta(weeks=week)
        for m in range(1440):
            minute = day + timedelta(minutes=m)
            shape = 0.4 + 1.2 * abs((m - 720) / 720 - 0.0) ** 0.5
            for ch in channel_ids:
                for label, score, share in LABELS:
                    total = 0
                    for sid, part in zip(subjects, SHARES, strict=True):
                        n = max(
                            0, int(per_minute * shape * part * share / 4 * rng.uniform(0.8, 1.2))
                        )
                        total += n
                        rows.append(
                            {
                                "minute": minute,
                                "subject_id": sid,
                                "channel_id": ch,
                                "sentiment_label": label,
                                "count": n,
                                "sentiment_sum": n * score,
                            }
                        )
                    rows.append(
                        {
                            "minute": minute,
                            "subject_id": ALL_POSTS,
                            "channel_id": ch,
                            "sentiment_label": label,
                            "count": total,
                            "sentiment_sum": total * score,
                        }
                    )
        with db.session() as s:
            for i in range(0, len(rows), 20_000):
                s.execute(insert(table), rows[i : i + 20_000])
    with db.session() as s:
        who = Identity(platform="ch0", external_id="bench", handle="@flyer")
        s.add(who)
        s.flush()
        posts = [
            {
                "channel_id": channel_ids[k % 4],
                "external_id": f"b{k}",
                "direction": "in",
                "identity_id": who.id,
                "text": "@bench " + " ".join(rng.choice(WORDS) for _ in range(12)),
                "created_at": START + timedelta(seconds=k * 86400 / STORED),
                "ingested_at": START,
                "sentiment_label": rng.choice(("negative", "neutral", "positive")),
                "sentiment_score": 0.0,
                "subject_ids": [brand_id],
                "likes": 0,
                "shares": 0,
                "replies": 0,
            }
            for k in range(STORED)
        ]
        s.execute(insert(Interaction.__table__), posts)
        ids = s.scalars(select(Interaction.id)).all()
        s.execute(
            insert(InteractionSubject.__table__),
            [{"interaction_id": i, "subject_id": brand_id} for i in ids],
        )
        for n in range(5):
            s.add(
                Alert(
                    subject_id=brand_id,
                    metric="volume",
                    status="open",
                    severity=8 - n,
                    started_at=START + timedelta(hours=3 * n + 1),
                    last_anomaly_at=START + timedelta(hours=3 * n + 1, minutes=20),
                    expected=600.0,
                    observed=2400.0,
                )
            )
        for n in range(2000):
            opened = START + timedelta(seconds=n * 43)
            s.add(
                Case(
                    subject=f"case {n}",
                    channel=f"ch{n % 4}",
                    opened_at=opened,
                    last_activity_at=opened,
                    first_responded_at=opened + timedelta(minutes=5 + n % 90) if n % 7 else None,
                    first_response_due=opened + timedelta(minutes=60),
                    status="open" if n % 7 == 0 else "resolved",
                    resolved_at=opened + timedelta(hours=3) if n % 7 else None,
                )
            )
    return brand_id


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(db: Database, brand_id: int, repeat: int) -> list[tuple[str, float]]:
    now = START + timedelta(days=1, hours=8)

    def read_rollups() -> None:
        with db.session() as s:
            s.execute(
                select(MinuteRollup).where(
                    MinuteRollup.subject_id == brand_id,
                    MinuteRollup.minute >= START,
                    MinuteRollup.minute < START + timedelta(days=1),
                )
            ).all()

    def figures() -> None:
        with db.session() as s:
            build_digest(s, subject_id=brand_id, period="day", day=DAY, now=now).model_dump_json()

    def web() -> None:
        with db.session() as s:
            d = build_digest(s, subject_id=brand_id, period="day", day=DAY, now=now)
        render_body(d, data_uris(charts(d)))

    def pdf() -> None:
        with db.session() as s:
            d = build_digest(s, subject_id=brand_id, period="day", day=DAY, now=now)
        render_pdf(d, charts(d))

    with db.session() as s:  # warm caches and imports once
        d = build_digest(s, subject_id=brand_id, period="day", day=DAY, now=now)
    assert d.moved.volume.value and d.moved.volume.value > 500_000, d.moved.volume
    render_pdf(d, charts(d))
    return [
        ("read rollups once", _median(read_rollups, repeat)),
        ("figures (API JSON)", _median(figures, repeat)),
        ("web page", _median(web, repeat)),
        ("PDF", _median(pdf, repeat)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    info = describe()
    print(
        f"# digest bench · {info['date']} · {info['cpu']} × {info['nproc']} · load {info['load']}"
    )
    results: dict[str, list[tuple[str, float]]] = {}
    for engine in ("sqlite", "postgres"):
        if args.only and args.only != engine:
            continue
        if engine == "sqlite":
            url = fresh_sqlite(Path("/tmp/gs_bench_digest.db"))
        else:
            try:
                url = create_pg_database("gs_bench_digest")
            except Exception as exc:
                print(f"postgres skipped: {type(exc).__name__}")
                continue
        db = Database(bench_settings(url))
        t0 = time.perf_counter()
        brand_id = _fill(db)
        print(f"{engine}: filled in {time.perf_counter() - t0:.0f} s")
        results[engine] = measure(db, brand_id, args.repeat)
        db.dispose()
        if engine == "postgres":
            drop_pg_database("gs_bench_digest")
    print()
    print(f"{'step':<22}" + "".join(f"{e + ' s':>12}{'× base':>9}" for e in results))
    names = [name for name, _ in next(iter(results.values()))] if results else []
    for i, name in enumerate(names):
        line = f"{name:<22}"
        for rows in results.values():
            base = rows[0][1]
            line += f"{rows[i][1]:>12.3f}{rows[i][1] / base:>9.1f}"
        print(line)
    print(f"\nload after: {describe()['load']} · target: web and PDF each < 10 s")


if __name__ == "__main__":
    main()
