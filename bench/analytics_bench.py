"""Engagement dashboard latency over 1,000,000 cases, and streamed CSV export speed.

For SQLite and PostgreSQL: 1,000,000 synthetic cases over 90 days are written to
``eng_cases`` and their rollup to ``an_eng_daily`` (computed with numpy the way the
session hook would, one day × dimension × key row with log histograms). Then:

* the dashboard's 90-day report (``queries.report``, cycling through the group-bys) is
  timed, p50 and p95, beside a baseline that computes the same per-channel figures by
  scanning the cases table (what a dashboard without a rollup must do);
* the cases CSV export (keyset pages, ``encode_rows``) is timed in rows/s beside the
  ceiling of ``csv.writer`` alone writing the same rows, already in memory, to memory;
  its peak Python memory is measured for 5 % and for 25 % of the rows (flat means
  streaming).

``python -m bench.analytics_bench [--cases N] [--only sqlite|postgres]``
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from bench.common import bench_settings, create_pg_database, drop_pg_database
from bench.machine import describe
from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.contribution import COUNTERS, HISTS, SUMS
from groundswell.analytics.engagement.models import EngagementDaily
from groundswell.analytics.engagement.queries import report
from groundswell.analytics.exports import CASE_HEADER, case_rows
from groundswell.core.csv_export import encode_rows
from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.engagement.models import Case

DAYS = 90
CHANNELS = np.array(["twitter", "facebook", "instagram", "email", "chat"])
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
GROUPS = ("channel", "agent", "team", "queue", "priority")
RUNS = 40


def _buckets(seconds: np.ndarray) -> np.ndarray:
    out = np.zeros(seconds.shape, dtype=np.int64)
    pos = seconds >= 1.0
    out[pos] = 1 + np.floor(np.log2(seconds[pos]) * histogram.STEPS).astype(np.int64)
    return np.minimum(out, histogram.MAX_BUCKET)


def synthesize(n: int, today: date, seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    first = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    offset = rng.uniform(0, DAYS * 86400 - 1, n)
    channel = rng.choice(len(CHANNELS), n, p=[0.4, 0.2, 0.15, 0.15, 0.1])
    slow = np.where(CHANNELS[channel] == "email", 3.0, 1.0)
    frt = rng.lognormal(7.0, 1.1, n) * slow
    res = frt + rng.lognormal(9.5, 1.0, n)
    now_offset = (datetime.now(UTC) - first).total_seconds()
    responded = (offset + frt < now_offset) & (rng.random(n) < 0.98)
    resolved = responded & (offset + res < now_offset) & (rng.random(n) < 0.985)
    agent = rng.integers(0, 20, n)
    return {
        "offset": offset,
        "day": np.floor(offset / 86400).astype(np.int64),
        "channel": channel,
        "agent": agent,
        "team": agent // 5,
        "queue": rng.integers(0, 3, n),
        "priority": rng.choice(4, n, p=[0.2, 0.5, 0.2, 0.1]),
        "frt_wall": frt,
        "frt_bus": frt * rng.uniform(0.35, 1.0, n),
        "res_wall": res,
        "res_bus": res * rng.uniform(0.3, 1.0, n),
        "responded": responded,
        "resolved": resolved,
        "csat": np.where(resolved & (rng.random(n) < 0.3), rng.integers(1, 6, n), 0),
        "replies": rng.integers(1, 5, n),
        "lift": np.where(rng.random(n) < 0.5, rng.normal(0.3, 0.4, n), np.nan),
        "first": np.array([first.timestamp()]),
    }


def rollup_rows(c: dict[str, np.ndarray], today: date) -> list[dict[str, Any]]:
    """The rollup rows the hook would have written for these cases (event day = opening
    day here, which changes nothing of the query's cost)."""
    first_day = today - timedelta(days=DAYS - 1)
    r, v = c["responded"], c["resolved"]
    csat = c["csat"]
    lift_ok = ~np.isnan(c["lift"])
    values = {
        "opened": np.ones_like(c["day"], dtype=np.float64),
        "resolved": v.astype(np.float64),
        "first_responses": r.astype(np.float64),
        "replies": c["replies"].astype(np.float64),
        "replies_resolved": np.where(v, c["replies"], 0).astype(np.float64),
        "sla_first_total": r.astype(np.float64),
        "sla_first_met": (r & (c["frt_bus"] <= 3600)).astype(np.float64),
        "sla_resolve_total": v.astype(np.float64),
        "sla_resolve_met": (v & (c["res_bus"] <= 8 * 3600)).astype(np.float64),
        "csat_count": (csat > 0).astype(np.float64),
        "csat_sum": csat.astype(np.float64),
        "csat_satisfied": (csat >= 4).astype(np.float64),
        "lift_count": lift_ok.astype(np.float64),
        "open_now": (~v).astype(np.float64),
        "open_since_sum": np.where(~v, c["first"][0] + c["offset"], 0.0),
        "lift_sum": np.where(lift_ok, c["lift"], 0.0),
        "frt_bus_sum": np.where(r, c["frt_bus"], 0.0),
        "frt_wall_sum": np.where(r, c["frt_wall"], 0.0),
        "res_bus_sum": np.where(v, c["res_bus"], 0.0),
        "res_wall_sum": np.where(v, c["res_wall"], 0.0),
    }
    hists = {
        "frt_bus": (r, _buckets(c["frt_bus"])),
        "frt_wall": (r, _buckets(c["frt_wall"])),
        "res_bus": (v, _buckets(c["res_bus"])),
        "res_wall": (v, _buckets(c["res_wall"])),
    }
    dims: dict[str, tuple[np.ndarray, list[str]]] = {
        "all": (np.zeros_like(c["day"]), [""]),
        "channel": (c["channel"], list(CHANNELS)),
        "agent": (c["agent"], [str(i + 1) for i in range(20)]),
        "team": (c["team"], [str(i + 1) for i in range(4)]),
        "queue": (c["queue"], [str(i + 1) for i in range(3)]),
        "priority": (c["priority"], list(PRIORITIES)),
    }
    rows: list[dict[str, Any]] = []
    nb = histogram.MAX_BUCKET + 1
    for dim, (keys, names) in dims.items():
        k = len(names)
        group = c["day"] * k + keys
        size = DAYS * k
        sums = {name: np.bincount(group, weights=w, minlength=size) for name, w in values.items()}
        found: dict[int, dict[str, dict[int, int]]] = defaultdict(dict)
        for name, (mask, buckets) in hists.items():
            combo, counts = np.unique(group[mask] * nb + buckets[mask], return_counts=True)
            for cb, count in zip(combo.tolist(), counts.tolist(), strict=True):
                found[cb // nb].setdefault(name, {})[cb % nb] = count
        for g in range(size):
            if sums["opened"][g] == 0:
                continue
            row: dict[str, Any] = {
                "day": first_day + timedelta(days=g // k),
                "dim": dim,
                "key": names[g % k],
                "next_responses": 0,
                "nrt_bus_sum": 0.0,
                "nrt_wall_sum": 0.0,
                "hists": histogram.pack(found.get(g, {}), HISTS),
            }
            for name in COUNTERS + SUMS:
                if name in sums:
                    value = float(sums[name][g])
                    row[name] = round(value) if name in COUNTERS else value
                else:
                    row.setdefault(name, 0)
            rows.append(row)
    return rows


def case_dicts(c: dict[str, np.ndarray], start: int, stop: int) -> Iterator[dict[str, Any]]:
    base = float(c["first"][0])
    for i in range(start, stop):
        opened = datetime.fromtimestamp(base + c["offset"][i], UTC)
        responded = bool(c["responded"][i])
        resolved = bool(c["resolved"][i])
        yield {
            "subject": f"case {i}",
            "status": "resolved" if resolved else "open",
            "kind": "customer",
            "channel": str(CHANNELS[c["channel"][i]]),
            "intents": [],
            "influence": 0.0,
            "customer_value": 0.5,
            "priority_score": 20.0,
            "priority_label": str(PRIORITIES[c["priority"][i]]),
            "priority_boost": 0.0,
            "priority_reasons": [],
            "tags": [],
            "queue_id": None,
            "assignee_id": None,
            "opened_at": opened,
            "last_activity_at": opened,
            "first_responded_at": opened + timedelta(seconds=float(c["frt_wall"][i]))
            if responded
            else None,
            "resolved_at": opened + timedelta(seconds=float(c["res_wall"][i]))
            if resolved
            else None,
            "version": 1,
        }


def load(
    db: Database, c: dict[str, np.ndarray], rows: list[dict[str, Any]], n: int
) -> tuple[float, int]:
    started = time.perf_counter()
    table = Case.__table__
    with db.session() as s:
        for start in range(0, n, 20_000):
            s.execute(table.insert(), list(case_dicts(c, start, min(n, start + 20_000))))  # type: ignore[attr-defined]
        for start in range(0, len(rows), 5000):
            s.execute(EngagementDaily.__table__.insert(), rows[start : start + 5000])  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return time.perf_counter() - started, len(rows)


def naive(db: Database, start: date, end: date) -> dict[str, tuple[float, float, float, float]]:
    """Per-channel first response and resolution median/p90 by scanning the cases."""
    lo = datetime.combine(start, datetime.min.time(), UTC)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    frt: dict[str, list[float]] = defaultdict(list)
    res: dict[str, list[float]] = defaultdict(list)
    with db.session() as s:
        for channel, opened, responded, resolved in s.execute(
            select(Case.channel, Case.opened_at, Case.first_responded_at, Case.resolved_at).where(
                Case.opened_at >= lo, Case.opened_at < hi
            )
        ):
            if responded is not None:
                frt[channel].append((responded - opened).total_seconds())
            if resolved is not None:
                res[channel].append((resolved - opened).total_seconds())
    out = {}
    for ch in frt:
        f, r = sorted(frt[ch]), sorted(res[ch])
        out[ch] = (
            statistics.median(f),
            f[int(0.9 * (len(f) - 1))],
            statistics.median(r) if r else 0.0,
            r[int(0.9 * (len(r) - 1))] if r else 0.0,
        )
    return out


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def dashboard(db: Database, start: date, end: date) -> list[float]:
    times = []
    with db.session() as s:
        for i in range(RUNS):
            t = time.perf_counter()
            report(s, start, end, GROUPS[i % len(GROUPS)])  # type: ignore[arg-type]
            times.append(time.perf_counter() - t)
    return times


def export(db: Database, limit: int | None = None) -> tuple[int, float]:
    rows = 0
    started = time.perf_counter()
    with db.session() as s:
        source = case_rows(s)
        if limit is not None:
            source = (r for i, r in zip(range(limit), source, strict=False))

        def counted() -> Iterator[Any]:
            nonlocal rows
            for r in source:
                rows += 1
                yield r

        for _chunk in encode_rows(CASE_HEADER, counted()):
            pass
    return rows, time.perf_counter() - started


def ceiling(db: Database) -> tuple[int, float]:
    with db.session() as s:
        data = [tuple(r) for r in case_rows(s)]
    started = time.perf_counter()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CASE_HEADER)
    for i in range(0, len(data), 2000):
        writer.writerows(data[i : i + 2000])
        buffer.seek(0)
        buffer.truncate()
    return len(data), time.perf_counter() - started


def peak_memory(db: Database, limit: int) -> float:
    tracemalloc.start()
    export(db, limit)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def run(
    engine: str,
    url: str,
    n: int,
    c: dict[str, np.ndarray],
    rollup: list[dict[str, Any]],
    today: date,
) -> dict[str, Any]:
    db = Database(bench_settings(url))
    try:
        load_s, rollup_rows_n = load(db, c, rollup, n)
        start, end = today - timedelta(days=DAYS - 1), today
        log(f"{engine}: loaded in {load_s:.0f} s; timing the naive scan")
        base = []
        for _ in range(2):
            t = time.perf_counter()
            naive(db, start, end)
            base.append(time.perf_counter() - t)
        log(f"{engine}: timing the dashboard")
        dash = dashboard(db, start, end)
        log(f"{engine}: timing the export")
        rows, secs = export(db)
        crows, csecs = ceiling(db)
        mem_small = peak_memory(db, n // 20)
        mem_half = peak_memory(db, n // 4)
        return {
            "engine": engine,
            "load_s": load_s,
            "rollup_rows": rollup_rows_n,
            "dash_p50": p(dash, 0.5) * 1000,
            "dash_p95": p(dash, 0.95) * 1000,
            "naive_p95": max(base) * 1000,
            "export_rps": rows / secs,
            "ceiling_rps": crows / csecs,
            "mem_small": mem_small,
            "mem_half": mem_half,
            "rows": rows,
        }
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    machine = describe()
    today = datetime.now(UTC).date()
    c = synthesize(args.cases, today)
    rollup = rollup_rows(c, today)
    log(f"synthesized {args.cases:,} cases and {len(rollup):,} rollup rows")
    results = []
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'analytics.db'}"
            upgrade(url)
            results.append(run("SQLite", url, args.cases, c, rollup, today))
    if args.only in (None, "postgres"):
        name = "gs_bench_analytics"
        try:
            url = create_pg_database(name)
        except Exception as exc:
            print(f"PostgreSQL skipped: {exc}")
        else:
            try:
                results.append(run("PostgreSQL", url, args.cases, c, rollup, today))
            finally:
                drop_pg_database(name)
    print(f"\n{args.cases:,} cases over {DAYS} days · {machine['cpu']} · nproc {machine['nproc']}")
    print(f"load average before the run: {machine['load']} · {machine['date']}\n")
    head = (
        "| engine | rollup rows | dashboard p50 | dashboard p95 | naive scan p95 | ratio |"
        " CSV rows/s | csv.writer ceiling | share | peak MB (5 % / 25 % of rows) |"
    )
    print(head)
    print("|" + "---|" * 10)
    for r in results:
        print(
            f"| {r['engine']} | {r['rollup_rows']:,} | {r['dash_p50']:.0f} ms"
            f" | {r['dash_p95']:.0f} ms | {r['naive_p95']:.0f} ms"
            f" | {r['naive_p95'] / r['dash_p95']:.0f}× faster | {r['export_rps']:,.0f}"
            f" | {r['ceiling_rps']:,.0f} | {r['export_rps'] / r['ceiling_rps']:.0%}"
            f" | {r['mem_small']:.1f} / {r['mem_half']:.1f} |"
        )
    print(f"\nload average after the run: {describe()['load']}")


if __name__ == "__main__":
    main()
