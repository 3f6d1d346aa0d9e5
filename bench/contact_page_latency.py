"""Contact page latency (p50/p95) for a contact with 10,000 interactions, SQLite and PostgreSQL.

The store: 2,000 contacts with 5 interactions each, one heavy contact with 10,000 over two
channels (every fifth one threaded with a brand reply), purchases and a value fit. The
whole page is requested through the app (login, routing, queries, template): first page,
a page deep in the timeline (cursor), a channel filter; the contacts list sorted by value
and by last touch. A light contact (5 interactions) is the baseline the heavy one is
compared with: the ratio says how much history costs.

    .venv/bin/python -m bench.contact_page_latency [--interactions 10000] [--repeat 60]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from bench.common import bench_settings, create_pg_database, drop_pg_database, fresh_sqlite
from bench.machine import describe
from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.clv.models import Transaction
from groundswell.crm.clv.service import refit
from groundswell.crm.models import Contact, Identity, Interaction

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PASSWORD = "bench-password-123"  # noqa: S105 - a throw-away bench database


def build(db: Database, heavy: int) -> tuple[int, int]:
    rng = random.Random(3)
    with db.session() as s:
        tw = Channel(key="twitter", name="Twitter")
        em = Channel(key="email", name="Email")
        s.add_all([tw, em])
        s.flush()
        contacts = [Contact(display_name=f"Person {i}") for i in range(2001)]
        s.add_all(contacts)
        s.flush()
        idents = [
            Identity(platform="twitter", external_id=f"u{c.id}", handle=f"p{c.id}", contact_id=c.id)
            for c in contacts
        ]
        brand = Identity(platform="twitter", external_id="brand", handle="acme", is_brand=True)
        s.add_all([*idents, brand])
        s.flush()
        rows = []
        n = 0
        for c, ident in zip(contacts[1:], idents[1:], strict=True):
            for k in range(5):
                n += 1
                rows.append(_row(n, tw.id, ident.id, c.id, T0 + timedelta(hours=k), rng))
        heavy_contact, heavy_ident = contacts[0], idents[0]
        for k in range(heavy):
            n += 1
            channel = tw.id if k % 3 else em.id
            rows.append(
                _row(n, channel, heavy_ident.id, heavy_contact.id, T0 + timedelta(minutes=k), rng)
            )
            if k % 5 == 0:
                n += 1
                reply = _row(n, channel, brand.id, None, T0 + timedelta(minutes=k, seconds=30), rng)
                reply["direction"] = "out"
                rows.append(reply)
        for start in range(0, len(rows), 5000):
            s.execute(insert(Interaction), rows[start : start + 5000])
        buys = [
            {
                "contact_id": c.id,
                "customer_key": f"c{c.id}",
                "occurred_on": date(2024, 1, 1) + timedelta(days=rng.randrange(300)),
                "amount": round(rng.uniform(5, 100), 2),
                "source": "bench",
                "external_id": f"{c.id}-{j}",
            }
            for c in contacts
            for j in range(rng.randrange(1, 5))
        ]
        s.execute(insert(Transaction), buys)
        refit(
            s,
            horizon_weeks=52,
            annual_discount_rate=0.1,
            triggered_by="bench",
            cutoff=date(2025, 1, 1),
        )
        create_user(s, data=UserCreate(email="bench@example.com", password=PASSWORD, role="admin"))
        return heavy_contact.id, contacts[1].id


def _row(
    n: int, channel: int, ident: int, contact: int | None, when: datetime, rng: random.Random
) -> dict[str, object]:
    return {
        "channel_id": channel,
        "external_id": f"x{n}",
        "direction": "in",
        "identity_id": ident,
        "contact_id": contact,
        "conversation_id": None,
        "text": "my order is late again, please help " * rng.randrange(1, 4),
        "created_at": when,
        "ingested_at": when,
        "sentiment_score": rng.uniform(-1, 1),
        "sentiment_label": "negative",
        "subject_ids": [],
        "entities": {},
        "influence": 0.0,
        "enrichment_versions": {},
        "likes": 0,
        "shares": 0,
        "replies": 0,
    }


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] * 1000


def measure(url: str, heavy: int, repeat: int, engine: str) -> None:
    settings = bench_settings(url)
    db = Database(settings)
    heavy_id, light_id = build(db, heavy)
    db.dispose()
    app = create_app(settings, embedded_worker=False)
    with TestClient(app) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post(
            "/login",
            data={
                "email": "bench@example.com",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "/",
            },
        )
        first = client.get(f"/contacts/{heavy_id}").text
        cursor = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        cases = {
            f"light contact ({5} interactions)": f"/contacts/{light_id}",
            f"heavy contact ({heavy:,}), first page": f"/contacts/{heavy_id}",
            "heavy contact, second page (cursor)": cursor,
            "heavy contact, channel filter": f"/contacts/{heavy_id}?channel=email",
            "contacts list by value": "/contacts?sort=value",
            "contacts list by last touch": "/contacts?sort=last_touch",
        }
        results = {}
        for label, path in cases.items():
            assert client.get(path).status_code == 200
            samples = []
            for _ in range(repeat):
                t = time.perf_counter()
                client.get(path)
                samples.append(time.perf_counter() - t)
            results[label] = (_p(samples, 50), _p(samples, 95))
    base = results["light contact (5 interactions)"][1]
    print(f"\n{engine}: p50 / p95 in ms over {repeat} requests, ratio = p95 / light contact p95")
    print(f"{'page':<42}{'p50':>8}{'p95':>8}{'ratio':>8}  < 200 ms")
    for label, (p50, p95) in results.items():
        print(f"{label:<42}{p50:>8.1f}{p95:>8.1f}{p95 / base:>8.2f}  {p95 < 200}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(" · ".join(f"{k} {v}" for k, v in describe().items()))
    path = Path("/tmp/gs_bench_contact_page.db")
    measure(fresh_sqlite(path), args.interactions, args.repeat, "SQLite")
    if not args.no_postgres:
        name = "gs_bench_contact_page"
        try:
            measure(create_pg_database(name), args.interactions, args.repeat, "PostgreSQL")
        finally:
            drop_pg_database(name)


if __name__ == "__main__":
    main()
