"""Process-wide runtime tuning for long-running pipeline processes."""

from __future__ import annotations

import gc

_tuned = False
_frozen = False


def freeze_startup_heap() -> None:
    """Take everything alive after start-up out of the cyclic collector's reach.

    A served app holds about 360,000 tracked objects once started (routes, schemas,
    templates, models); each full collection walks all of them, about 100 ms on this
    project's 2-core reference machine, and stalls every request in flight: at 500
    webhook deliveries a second those stalls are the p99. Frozen objects are still freed
    by reference counting; only cycles among them would outlive their use, and start-up
    objects live as long as the process. Called once, by ``serve`` after the lifespan
    has started everything (never by tests, which build many apps in one process).
    """
    global _frozen
    if _frozen:
        return
    gc.collect()
    gc.freeze()
    _frozen = True


def tune_gc_for_throughput() -> None:
    """Make the cyclic garbage collector run far less often in pipeline processes.

    A batch allocates hundreds of thousands of short-lived objects (parsed posts,
    enrichment results, bind parameters) that reference counting frees on its own; with
    the default thresholds the collector still walks the young heap thousands of times
    per batch, which measured at about a fifth of a worker's time on the airline data.
    Objects alive at start-up are frozen out of collection altogether.
    """
    global _tuned
    if _tuned:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    _tuned = True
