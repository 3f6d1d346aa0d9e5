"""Engagement figures: SLA business-time arithmetic, rules evaluation, inbox first page.

- SLA: due times for random starts and targets (5 min … 3 business days) on a Paris
  weekday 09:00–17:00 schedule with French holidays, against the "always open" ceiling
  (plain addition through the same function) and the 100,000/s target.
- Rules: 50 compiled rules (every condition kind, keywords as one regex) against varied
  interactions, pure evaluation, against the 5,000 interactions/s target.
- Inbox: ``list_cases`` first page (default view, priority order; and "breaching soon"
  by due time; and a tag filter) over a store with ``--cases`` open cases and
  ``--interactions`` interactions, p50/p95 over ``--repeat`` runs, on SQLite and, when
  reachable, PostgreSQL, against the 150 ms target.

    .venv/bin/python -m bench.engagement [--cases 100000] [--interactions 1000000] [--skip-pg]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from bench.common import bench_settings, create_pg_database, drop_pg_database, fresh_sqlite
from bench.machine import describe
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Conversation, Interaction
from groundswell.engagement.business_time import (
    Schedule,
    add_business_seconds_ts,
    country_holidays,
    parse_hours,
)
from groundswell.engagement.inbox import list_cases
from groundswell.engagement.models import Case, CaseConversation, CaseTag
from groundswell.engagement.rules.engine import Facts, compile_rules
from groundswell.engagement.rules.spec import RuleSpec
from groundswell.engagement.schemas import InboxFilters

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def bench_sla(n: int) -> list[tuple[str, float, float]]:
    rng = random.Random(1)
    schedule = Schedule(
        tz="Europe/Paris",
        hours=parse_hours({d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}),
        holidays=country_holidays("FR", range(2025, 2029)),
    )
    always = Schedule(tz="UTC", hours=[[(0, 1440)]] * 7)
    starts = [T0.timestamp() + rng.uniform(0, 365 * 86400) for _ in range(n)]
    targets = [rng.choice((5, 30, 60, 240, 480, 1440, 3 * 480)) * 60.0 for _ in range(n)]
    for s, t in zip(starts[:2000], targets[:2000], strict=True):  # warm the day cache
        add_business_seconds_ts(schedule, s, t)
    out = []
    for label, sched in (
        ("business hours + holidays", schedule),
        ("always open (ceiling)", always),
    ):
        begin, cpu = time.perf_counter(), time.process_time()
        for s, t in zip(starts, targets, strict=True):
            add_business_seconds_ts(sched, s, t)
        wall, used = time.perf_counter() - begin, time.process_time() - cpu
        out.append((label, n / wall, n / used))
    return out


def fifty_rules() -> list[RuleSpec]:
    kinds = [
        {"channels": ["twitter", "email"]},
        {"sentiments": ["negative"]},
        {"sentiment_below": -0.4},
        {"intents": ["complaint", "churn"]},
        {"languages": ["en", "fr"]},
        {"influence_min": 40},
        {"keywords": ["refund", "cancelled", "lost bag", "delay", "rude", "broken"]},
        {"known_customer": True},
        {"business_hours": False},
        {"subject_ids": [1, 3, 5]},
    ]
    specs = []
    for i in range(50):
        cond: dict[str, object] = {}
        for k in range(1 + i % 3):
            cond.update(kinds[(i + k * 3) % len(kinds)])
        specs.append(
            RuleSpec.model_validate(
                {
                    "id": i + 1,
                    "name": f"r{i}",
                    "position": i,
                    "conditions": cond,
                    "actions": [{"type": "tag", "tag": f"t{i}"}],
                }
            )
        )
    return specs


def bench_rules(n: int) -> tuple[float, float, float]:
    rng = random.Random(2)
    words = [
        "flight",
        "delay",
        "refund",
        "bag",
        "lost",
        "crew",
        "seat",
        "rude",
        "great",
        "thanks",
        "broken",
        "app",
        "gate",
        "cancelled",
    ]
    facts = [
        Facts(
            interaction_id=i,
            channel=rng.choice(("twitter", "email", "mastodon")),
            text=" ".join(rng.choice(words) for _ in range(rng.randint(6, 30))),
            sentiment_label=rng.choice(("negative", "neutral", "positive")),
            sentiment_score=rng.uniform(-1, 1),
            intents=frozenset(
                rng.sample(["complaint", "praise", "question", "churn"], k=rng.randint(0, 2))
            ),
            language=rng.choice(("en", "fr", "es")),
            influence=rng.uniform(0, 100),
            known_customer=rng.random() < 0.3,
            business_hours=rng.random() < 0.6,
            subject_ids=frozenset(rng.sample(range(1, 10), k=rng.randint(0, 2))),
        )
        for i in range(n)
    ]
    ruleset = compile_rules(fifty_rules())
    begin, cpu = time.perf_counter(), time.process_time()
    matched = sum(len(ruleset.evaluate(f)) for f in facts)
    wall, used = time.perf_counter() - begin, time.process_time() - cpu
    return n / wall, n / used, matched / n


def fill(engine: Engine, *, cases: int, interactions: int) -> None:
    """Contacts, one conversation per case, interactions spread over them, open cases."""
    rng = random.Random(3)
    with engine.begin() as conn:
        conn.execute(
            insert(Channel),
            [{"id": 1, "key": "twitter", "name": "X"}, {"id": 2, "key": "email", "name": "Email"}],
        )
        step = 20_000
        for lo in range(0, cases, step):
            hi = min(cases, lo + step)
            conn.execute(
                insert(Contact),
                [
                    {"id": i + 1, "display_name": f"c{i}", "created_at": T0, "updated_at": T0}
                    for i in range(lo, hi)
                ],
            )
            conn.execute(
                insert(Conversation),
                [
                    {
                        "id": i + 1,
                        "channel_id": 1 + i % 2,
                        "root_external_id": f"r{i}",
                        "contact_id": i + 1,
                        "started_at": T0,
                        "last_activity_at": T0,
                    }
                    for i in range(lo, hi)
                ],
            )
        for lo in range(0, interactions, step):
            hi = min(interactions, lo + step)
            conn.execute(
                insert(Interaction),
                [
                    {
                        "id": i + 1,
                        "channel_id": 1 + (i % cases) % 2,
                        "external_id": f"x{i}",
                        "direction": "in",
                        "contact_id": (i % cases) + 1,
                        "conversation_id": (i % cases) + 1,
                        "text": "my bag is lost again",
                        "created_at": T0 + timedelta(seconds=i),
                        "ingested_at": T0,
                        "subject_ids": [],
                        "entities": {},
                        "influence": 1.0,
                        "enrichment_versions": {},
                        "sentiment_score": -0.5,
                        "sentiment_label": "negative",
                    }
                    for i in range(lo, hi)
                ],
            )
        now = T0 + timedelta(days=30)
        for lo in range(0, cases, step):
            hi = min(cases, lo + step)
            rows = []
            for i in range(lo, hi):
                score = rng.uniform(0, 100)
                rows.append(
                    {
                        "id": i + 1,
                        "contact_id": i + 1,
                        "subject": f"case {i}",
                        "status": rng.choice(("new", "open", "open", "pending")),
                        "kind": "customer",
                        "channel": "twitter" if i % 2 == 0 else "email",
                        "language": "en",
                        "sentiment_score": -0.5,
                        "intents": ["complaint"] if i % 3 == 0 else [],
                        "influence": 1.0,
                        "customer_value": 0.5,
                        "priority_score": score,
                        "priority_label": "high" if score > 50 else "normal",
                        "priority_boost": 0.0,
                        "priority_reasons": [],
                        "assignee_id": None,
                        "tags": ["vip"] if i % 50 == 0 else [],
                        "next_due_at": now + timedelta(minutes=rng.randint(-600, 6000)),
                        "last_activity_at": now,
                        "opened_at": T0,
                        "version": 1,
                    }
                )
            conn.execute(insert(Case), rows)
            conn.execute(
                insert(CaseConversation),
                [{"case_id": i + 1, "conversation_id": i + 1} for i in range(lo, hi)],
            )
            tagged = [{"case_id": r["id"], "tag": t} for r in rows for t in r["tags"]]
            if tagged:
                conn.execute(insert(CaseTag), tagged)


def bench_inbox(url: str, repeat: int) -> dict[str, tuple[float, float]]:
    db = Database(bench_settings(url))
    now = T0 + timedelta(days=30)
    out = {}
    questions = {
        "all, by priority": InboxFilters(),
        "breaching soon, by due": InboxFilters(view="breaching", sort="due"),
        "channel + sentiment": InboxFilters(channel="email", sentiment="negative"),
        "tag filter": InboxFilters(tag="vip"),
    }
    for label, filters in questions.items():
        times = []
        for _ in range(repeat):
            begin = time.perf_counter()
            with db.session() as s:
                page = list_cases(s, user_id=1, filters=filters, now=now)
            times.append((time.perf_counter() - begin) * 1000)
            assert page.cases
        times.sort()
        out[label] = (statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)])
    db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    print("machine:", describe())

    print("\nSLA due-time computations (200,000); per CPU-second does not depend on other load")
    print(f"{'schedule':30} {'per s':>12} {'per CPU-s':>12} {'vs 100k/s target':>18}")
    for label, rate, cpu_rate in bench_sla(200_000):
        print(f"{label:30} {rate:12,.0f} {cpu_rate:12,.0f} {rate / 100_000:17.1f}x")

    rate, cpu_rate, per = bench_rules(20_000)
    print("\nRules: 50 rules per interaction, pure evaluation (20,000 interactions)")
    print(
        f"{'interactions/s':>16} {'per CPU-s':>12} {'vs 5,000/s target':>18} {'matches each':>14}"
    )
    print(f"{rate:16,.0f} {cpu_rate:12,.0f} {rate / 5000:17.1f}x {per:14.1f}")
    if args.cases == 0:
        return

    targets: list[tuple[str, str]] = []
    path = Path("/tmp/gs_bench_engagement.db")
    targets.append(("sqlite", fresh_sqlite(path)))
    if not args.skip_pg:
        try:
            targets.append(("postgresql", create_pg_database("gs_bench_engagement")))
        except Exception as exc:
            print("PostgreSQL not reachable:", type(exc).__name__)
    print(
        f"\nInbox first page (50 cases), {args.cases:,} open cases, "
        f"{args.interactions:,} interactions, {args.repeat} runs"
    )
    print(f"{'store':12} {'question':26} {'p50 ms':>8} {'p95 ms':>8} {'p95 vs 150 ms':>14}")
    for name, url in targets:
        db = Database(bench_settings(url))
        begin = time.perf_counter()
        fill(db.engine, cases=args.cases, interactions=args.interactions)
        if name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        print(f"  ({name}: store filled in {time.perf_counter() - begin:.0f} s)")
        db.dispose()
        for label, (p50, p95) in bench_inbox(url, args.repeat).items():
            print(f"{name:12} {label:26} {p50:8.1f} {p95:8.1f} {p95 / 150:13.2f}x")
    if not args.skip_pg and len(targets) > 1:
        drop_pg_database("gs_bench_engagement")


if __name__ == "__main__":
    main()
