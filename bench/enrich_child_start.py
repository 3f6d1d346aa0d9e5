"""How long the enrichment process takes to be ready: forked against spawned, side by side.

``groundswell import`` (lexicon mode) starts an enrichment process and enriches by itself
until it is ready. This starts one the way the command does (the command line already
imported, as in ``groundswell import``), waits until it has loaded its tables, and stops
it; alternately with ``fork`` (what a process with one thread now uses) and ``spawn``
(what it used before, and what a process with other threads still uses). A spawned child
imports the parent's main module again; this module imports the command line at its top,
as the ``groundswell`` console script does, so a spawned child here imports what it
imports under ``groundswell import``. The forked child's time is mostly loading its
language tables, which the parent has not loaded yet when an import starts it.

Command: ``python -m bench.enrich_child_start``.
"""

from __future__ import annotations

import multiprocessing
import time
from unittest import mock

import groundswell.cli  # noqa: F401  (what the command has loaded when it starts the child)
from bench import machine
from bench.rounds import print_rounds
from groundswell.workers import enrich_process
from groundswell.workers.enrich_process import EnrichmentProcess

ROUNDS = 5


def ready_seconds(method: str) -> float:
    with mock.patch.object(
        enrich_process, "start_context", lambda: multiprocessing.get_context(method)
    ):
        started = time.perf_counter()
        child = EnrichmentProcess(sentiment_mode="lexicon", model_store=None)
        child.start()
        elapsed = time.perf_counter() - started
    child.close()
    return elapsed


def main() -> None:
    times: dict[str, list[float]] = {"spawn": [], "fork": []}
    for _ in range(ROUNDS):
        for method in times:
            times[method].append(ready_seconds(method))
    print(f"Machine: {machine.cpu_model()}, load {machine.load()}, commit {machine.commit()}")
    print(f"lexicon mode, {ROUNDS} alternating rounds\n")
    medians = print_rounds("start method (time until ready)", times)
    print(f"\nfork / spawn: {medians['spawn'] / medians['fork']:.1f}x sooner")


if __name__ == "__main__":
    main()
