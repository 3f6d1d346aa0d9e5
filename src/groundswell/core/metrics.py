"""Process-level Prometheus metrics the pipeline updates as it works.

Counters and histograms live in this process's default registry; ``/metrics`` serves
them with the gauges computed from the database at scrape time (``api.ops_metrics``).
Workers that run as separate processes (``groundswell worker``) count in their own
memory: scrape the web process for the embedded set-up, and read the database-derived
gauges (which every process shares) for totals — see docs/operations.md.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INTERACTIONS_STORED = Counter(
    "groundswell_interactions_stored",
    "Interactions stored by the pipeline in this process (duplicates not counted)",
    ["channel"],
)
STAGE_SECONDS = Histogram(
    "groundswell_stage_seconds",
    "Time spent in one pipeline stage for one batch",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DEAD_LETTERS = Counter(
    "groundswell_dead_letters",
    "Messages this process gave up on and wrote to the dead-letter table",
    ["stream"],
)
EVENTS_EMITTED = Counter(
    "groundswell_webhook_events_emitted",
    "Outbound webhook deliveries written to the outbox by this process",
    ["type"],
)
