"""``make bench``: end-to-end throughput of the pipeline side by side with the raw-insert ceiling.

Each store is measured twice in one run: the whole pipeline (parse, publish, decode,
enrich, remember, commit, ack) and the fastest plain bulk insert of the same
``interactions`` rows into the same schema. An absolute rate means little on its own
(machines differ tenfold); the ratio to the ceiling on the same machine, in the same
run, says how much the pipeline's own work costs. Run ``python -m bench.throughput -h``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import machine
from bench.ceiling import raw_insert_ceiling
from bench.common import (
    create_pg_database,
    drop_pg_database,
    fresh_sqlite,
    sentiment_mode,
    subjects_of,
)
from bench.data import DEFAULT_SOURCE, load_base_posts, replicate, write_jsonl
from bench.embedded import EmbeddedRun, run_embedded_import, run_warm_pipeline
from bench.production import WorkerRun, drop_streams, publish_all, run_workers
from groundswell.enrichment import pipeline
from groundswell.enrichment.pipeline import Enricher
from groundswell.ingestion.schemas import InboundPost
from groundswell.workers.process_stage import facts_of

TARGET_SQLITE_RATE = 2_000
TARGET_CEILING_SHARE = 0.5
ENRICH_BATCH = 500


@dataclass
class Line:
    """One row of the results table."""

    store: str
    run: str
    posts: int
    seconds: float
    ceiling: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0

    @property
    def share(self) -> float | None:
        return self.rate / self.ceiling if self.ceiling else None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_enrichment(url: str, base: list[InboundPost]) -> Line:
    """Enrich every distinct airline text once, in pipeline-sized batches.

    The replicated posts repeat these texts, so this is the enrichment rate of the run.
    """
    subjects = subjects_of(url)
    enricher = Enricher(sentiment_mode=sentiment_mode(), subjects=subjects)
    facts = [facts_of(p) for p in base]
    started = time.perf_counter()
    for i in range(0, len(facts), ENRICH_BATCH):
        enricher.enrich_many(facts[i : i + ENRICH_BATCH])
    seconds = time.perf_counter() - started
    note = f"Enricher.enrich_many, {ENRICH_BATCH}/batch, {len(subjects)} subjects, distinct texts"
    return Line("-", "enrichment only", len(base), seconds, note=note)


def sqlite_lines(n: int, base: list[InboundPost], workdir: Path) -> tuple[list[Line], EmbeddedRun]:
    jsonl = workdir / "posts.jsonl"
    log(f"writing {n} posts to {jsonl}")
    write_jsonl(base, n, jsonl)
    pipeline_url = fresh_sqlite(workdir / "pipeline.db")
    log("sqlite: groundswell import (memory broker, pipeline in process)")
    run = run_embedded_import(pipeline_url, jsonl)
    if run.stored != n:
        log(f"  warning: {run.stored} interactions stored, expected {n}")
    log("sqlite: raw insert ceiling (the same rows)")
    ceiling = raw_insert_ceiling(pipeline_url, fresh_sqlite(workdir / "ceiling.db"))
    ceiling_rate = ceiling.rows / ceiling.seconds
    lines = [
        Line(
            "SQLite",
            "raw insert ceiling",
            ceiling.rows,
            ceiling.seconds,
            ceiling_rate,
            f"Core executemany, {ceiling.chunk:,} rows per transaction",
        ),
        Line(
            "SQLite",
            "pipeline end to end",
            run.stored,
            run.pipeline_s,
            ceiling_rate,
            f"submit_posts + drain, memory broker, batch {run.batch_size}",
        ),
        _warm_line(n, base, workdir, ceiling_rate),
        Line(
            "SQLite",
            "import incl. parsing",
            run.stored,
            run.total_s,
            ceiling_rate,
            "import_file on native JSONL",
        ),
    ]
    return lines, run


def _warm_line(n: int, base: list[InboundPost], workdir: Path, ceiling_rate: float) -> Line:
    log("sqlite: pipeline with its enrichment process already running")
    posts = [post for _, post in replicate(base, n)]
    stored, seconds = run_warm_pipeline(fresh_sqlite(workdir / "warm.db"), posts)
    if stored != n:
        log(f"  warning: {stored} interactions stored, expected {n}")
    note = "as above, enrichment process started before (a running worker)"
    if sentiment_mode() == "model":
        note = "as above (model mode enriches in the writer's process)"
    return Line("SQLite", "pipeline, warm worker", stored, seconds, ceiling_rate, note)


def postgres_lines(
    n: int, base: list[InboundPost], workdir: Path, workers: list[int], analyze: bool
) -> list[Line]:
    """Worker runs for each count in ``workers``; the ceiling re-inserts the first run's rows."""
    tag = f"gs_bench_{os.getpid()}"
    lines: list[Line] = []
    runs: list[tuple[int, WorkerRun]] = []
    ceiling_rate: float | None = None
    try:
        for k in workers:
            name = f"{tag}_w{k}"
            prefix = f"gsbench{os.getpid()}w{k}"
            url = create_pg_database(name)
            try:
                log(f"postgres: publishing {n} posts to Redis stream {prefix}.posts")
                published = publish_all(prefix, base, n)
                log(f"postgres: groundswell worker --concurrency {k}")
                runs.append((k, run_workers(url, prefix, k, n, workdir, analyze=analyze)))
                if ceiling_rate is None:
                    log("postgres: raw insert ceiling (the same rows)")
                    target = create_pg_database(f"{tag}_ceiling")
                    try:
                        ceiling = raw_insert_ceiling(url, target)
                    finally:
                        drop_pg_database(f"{tag}_ceiling")
                    ceiling_rate = ceiling.rows / ceiling.seconds
                    lines.append(
                        Line(
                            "PostgreSQL",
                            "raw insert ceiling",
                            ceiling.rows,
                            ceiling.seconds,
                            ceiling_rate,
                            f"Core executemany, {ceiling.chunk:,} rows per transaction",
                        )
                    )
                    lines.append(
                        Line(
                            "Redis",
                            "publish only",
                            published.posts,
                            published.seconds,
                            note="submit_posts, 2,000 per MULTI/EXEC",
                        )
                    )
            finally:
                drop_streams(prefix)
                drop_pg_database(name)
    except Exception as exc:  # report what was measured, say why the rest is missing
        log(f"postgres/redis runs stopped: {type(exc).__name__}: {exc}")
        lines.append(Line("PostgreSQL", f"not measured: {type(exc).__name__}", 0, 0.0))
    for k, run in runs:
        state = "" if run.finished else f"; UNFINISHED, {run.stored} stored"
        if run.analyzes:
            state += f"; {run.analyzes} ANALYZE"
        elif not analyze:
            state += "; no ANALYZE"
        lines.append(
            Line(
                "PostgreSQL",
                f"{k} worker{'s' if k > 1 else ''}, end to end",
                run.stored,
                run.seconds,
                ceiling_rate,
                f"from process start; first row at {run.first_row_s:.1f} s, "
                f"steady {run.steady_rate:,.0f}/s{state}",
            )
        )
    return lines


def print_table(lines: list[Line]) -> None:
    header = ("store", "run", "posts", "seconds", "posts/s", "of ceiling", "notes")
    rows = [
        (
            line.store,
            line.run,
            f"{line.posts:,}",
            f"{line.seconds:.1f}",
            f"{line.rate:,.0f}",
            f"{line.share:.0%}" if line.share is not None else "",
            line.note,
        )
        for line in lines
    ]
    _markdown(header, rows)


def print_stages(run: EmbeddedRun) -> None:
    pipeline = run.pipeline_s
    rows = []
    for label, seconds in run.stages:
        share = f"{seconds / pipeline:.0%}" if not label.startswith("read") else "-"
        alone = f"{run.stored / seconds:,.0f}" if seconds > 0 else "-"
        rows.append((label, f"{seconds:.1f}", share, alone))
    rows.append(("pipeline (publish + drain)", f"{pipeline:.1f}", "100%", ""))
    _markdown(("SQLite stage", "seconds", "of pipeline", "posts/s if alone"), rows)


def _markdown(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()


def print_notes(lines: list[Line]) -> None:
    print(
        f"Targets: >= {TARGET_SQLITE_RATE:,} posts/s end to end on SQLite (VADER sentiment); "
        f">= {TARGET_CEILING_SHARE:.0%} of the raw-insert ceiling on each store."
    )
    for line in lines:
        if line.share is None or line.run == "raw insert ceiling":
            continue
        verdict = "meets" if line.share >= TARGET_CEILING_SHARE else "misses"
        print(f"  {line.store} {line.run}: {line.share:.0%} of ceiling, {verdict} the 50% target")
        if line.store == "SQLite" and line.run == "pipeline end to end":
            verdict = "meets" if line.rate >= TARGET_SQLITE_RATE else "misses"
            print(
                f"  {line.store} {line.run}: {line.rate:,.0f} posts/s, {verdict} the 2,000 target"
            )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--posts", type=int, default=100_000, help="posts per run (100,000)")
    parser.add_argument(
        "--sentiment",
        choices=("lexicon", "model"),
        default="lexicon",
        help="enrichment mode measured (lexicon: the VADER target of the core figures)",
    )
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="measure one store")
    parser.add_argument("--workers", default="1,2", help="worker counts for PostgreSQL (1,2)")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="on a server with autovacuum off, do not ANALYZE during worker runs",
    )
    parser.add_argument(
        "--prediction-cache",
        action="store_true",
        help="keep the model's cache of repeated texts (off: the replicated posts repeat "
        "the airline texts, and a cache would measure lookups, not the model)",
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="airline CSV")
    parser.add_argument("--workdir", type=Path, help="scratch directory (a temporary one)")
    args = parser.parse_args(argv)
    os.environ["GROUNDSWELL_SENTIMENT"] = args.sentiment
    if not args.prediction_cache:
        pipeline.PREDICTION_CACHE = 0  # SQLite runs are in this process
    if args.posts < 1:
        parser.error("--posts must be at least 1")
    workers = [int(k) for k in args.workers.split(",") if k.strip()]

    info = machine.describe()
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"Command: python -m bench.throughput {' '.join(argv or sys.argv[1:])}".rstrip())
    print(f"Model prediction cache: {'on' if args.prediction_cache else 'off'}")
    print()
    base = load_base_posts(args.source)
    log(f"{len(base)} distinct airline posts, replicated to {args.posts}")

    with tempfile.TemporaryDirectory(prefix="gs-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        enrich_line = measure_enrichment(fresh_sqlite(workdir / "subjects.db"), base)
        lines: list[Line] = []
        run: EmbeddedRun | None = None
        if args.only in (None, "sqlite"):
            sqlite, run = sqlite_lines(args.posts, base, workdir)
            lines += sqlite
        if args.only in (None, "postgres"):
            lines += postgres_lines(args.posts, base, workdir, workers, not args.no_analyze)
        lines.append(enrich_line)

    print(f"Load average at the end (1/5/15 min): {machine.load()}")
    print()
    print_table(lines)
    print_notes(lines)
    if run is not None:
        print_stages(run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
