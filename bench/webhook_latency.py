"""Webhook receive → published: latency at a fixed request rate over loopback.

The app runs under uvicorn in its own process and publishes to Redis Streams (the
production set-up; ``--broker memory://`` keeps messages in the server process instead),
with no worker in that process; this process is an open-loop load generator: request
``i`` is due at ``start + i / rate`` and its latency counts from that due time, so a
server that falls behind is charged for the queue it builds (no coordinated omission).

Two routes on the same server are measured one after the other:
- ``noop``: a webhook source that accepts without any check and publishes nothing (the
  floor: HTTP, routing, body read, a dead-letter-free JSON answer);
- ``webhook``: the generic source — HMAC-SHA256 signature and timestamp verified, delivery
  id remembered, one post validated and published to the pipeline.

Usage: ``python -m bench.webhook_latency [--rate 500] [--seconds 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson
from fastapi import FastAPI

from bench.common import REDIS_URL, bench_settings
from bench.machine import describe
from groundswell.app import create_app
from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.webhook.connector import (
    GenericWebhook,
    GenericWebhookConfig,
    signed_headers,
)
from groundswell.core.migrate import upgrade

SECRET = b"bench-webhook-secret"
TARGET_P99_MS = 50.0


class NoopSource:
    """Accepts anything, publishes nothing: the route's floor."""

    key = "noop"

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        return []


def make_app() -> FastAPI:
    """uvicorn factory (``--factory bench.webhook_latency:make_app``)."""
    settings = bench_settings(
        os.environ["GROUNDSWELL_DATABASE_URL"], broker_url=os.environ["GROUNDSWELL_BROKER_URL"]
    )
    # The API process only publishes; workers store elsewhere (as in production), so the
    # pipeline's CPU does not sit in the measured process.
    app = create_app(settings, embedded_worker=False, freeze_heap=True)
    registry = WebhookRegistry()
    registry.register(GenericWebhook(GenericWebhookConfig(secret=SECRET, tolerance_seconds=900)))
    registry.register(NoopSource())
    app.state.webhooks = registry
    return app


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (uvicorn's workers under ``--workers``)."""
    total = _cpu_seconds(pid)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid:
            total += _cpu_seconds(int(entry.name))
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _requests(kind: str, n: int) -> list[tuple[bytes, dict[str, str]]]:
    now = int(time.time())
    out = []
    for i in range(n):
        event = {
            "type": "post",
            "data": {
                "channel": "webhook",
                "external_id": f"bench-{uuid.uuid4().hex}",
                "text": f"Flight {i % 900} delayed again, the lounge was full and nobody answers",
                "created_at": "2026-11-20T08:00:00Z",
                "author": {"external_id": f"user-{i % 5000}", "handle": f"user{i % 5000}"},
            },
        }
        body = orjson.dumps({"events": [event]})
        headers = {"Content-Type": "application/json"}
        if kind == "webhook":
            headers = signed_headers(SECRET, body, timestamp=now, delivery=uuid.uuid4().hex)
        out.append((body, headers))
    return out


async def _run(base: str, kind: str, rate: float, seconds: float) -> dict[str, float]:
    """aiohttp as the load generator: httpx's async pool costs more CPU per request than
    the server being measured, which would make the client the bottleneck."""
    n = int(rate * seconds)
    prepared = _requests(kind, n)
    latencies: list[float] = []
    errors = 0
    published = 0
    url = f"{base}/api/v1/webhooks/{kind}"
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(due: float, body: bytes, headers: dict[str, str]) -> None:
            nonlocal errors, published
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                async with session.post(url, data=body, headers=headers) as answer:
                    doc = await answer.json()
                    if answer.status != 200:
                        errors += 1
                    else:
                        published += int(doc.get("accepted", 0))
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - due)

        # The generator's own collector pauses would be charged to the server: its heap
        # (this module imports the app) is frozen before the clock starts.
        gc.collect()
        gc.freeze()
        start = time.perf_counter() + 0.5
        await asyncio.gather(*(one(start + i / rate, b, h) for i, (b, h) in enumerate(prepared)))
        elapsed = time.perf_counter() - start
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "n": n,
        "rate": n / elapsed,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "max": 1000 * ordered[-1],
        "mean": 1000 * statistics.fmean(ordered),
        "errors": errors,
        "published": published,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--broker", default=REDIS_URL)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn processes serving (as in production)"
    )
    args = parser.parse_args()
    # Stopped by a timeout or Ctrl-C: still stop the server process below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="gs-bench-webhook-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    port = _free_port()
    env = {**os.environ, "GROUNDSWELL_DATABASE_URL": url, "GROUNDSWELL_BROKER_URL": args.broker}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.webhook_latency:make_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/api/v1/webhooks/noop", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(_run(base, "noop", 50, 1))  # warm-up: connections, imports, caches
        results = {}
        for kind in ("noop", "webhook"):
            cpu_before = _tree_cpu_seconds(server.pid)
            results[kind] = asyncio.run(_run(base, kind, args.rate, args.seconds))
            cpu = _tree_cpu_seconds(server.pid) - cpu_before
            results[kind]["cpu_ms"] = 1000 * cpu / results[kind]["n"]
        stored = int(results["webhook"]["published"])
    finally:
        server.terminate()
        server.wait(10)
    report(describe(), args, results, stored)


def report(
    machine: dict[str, str],
    args: argparse.Namespace,
    results: dict[str, dict[str, float]],
    stored: int,
) -> None:
    print(
        f"machine: {machine['cpu']} × {machine['nproc']}, Python {machine['python']}, "
        f"load {machine['load']}, commit {machine['commit']}"
    )
    print(
        f"open loop at {args.rate:.0f} req/s for {args.seconds:.0f} s; server in its own "
        "process (uvicorn, no worker in it)\n"
    )
    print(
        "| route | requests | achieved req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| server CPU ms/request |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, r in results.items():
        cells = [f"{r[k]:.1f}" for k in ("p50", "p95", "p99", "max")]
        print(
            f"| {kind} | {r['n']:.0f} | {r['rate']:.0f} | {' | '.join(cells)} "
            f"| {r['errors']:.0f} | {r['cpu_ms']:.2f} |"
        )
    noop, hook = results["noop"], results["webhook"]
    print(
        f"\nsigned webhook p99 / no-op p99: {hook['p99'] / noop['p99']:.2f}×; "
        f"p99 / {TARGET_P99_MS:.0f} ms target: {hook['p99'] / TARGET_P99_MS:.2f}×"
    )
    print(
        f"server CPU per signed delivery / no-op: {hook['cpu_ms'] / noop['cpu_ms']:.2f}×; "
        f"one core's ceiling at that cost: {1000 / hook['cpu_ms']:.0f} deliveries/s"
    )
    print(f"posts published to {args.broker.split('://')[0]}: {stored} of {hook['n']:.0f} sent")


if __name__ == "__main__":
    main()
